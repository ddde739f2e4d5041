pragma circom 2.0.0;

include "poseidon.circom";
include "comparators.circom";

// Hash two private values and compare one with a public bound.
template Demo() {
    signal input a;
    signal input b;
    signal input bound;
    signal output hash;
    signal output small;

    component h = Poseidon(2);
    h.inputs[0] <== a;
    h.inputs[1] <== b;
    hash <== h.out;

    component lt = LessThan(32);
    lt.in[0] <== a;
    lt.in[1] <== bound;
    small <== lt.out;
}

component main {public [bound]} = Demo();

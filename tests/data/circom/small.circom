pragma circom 2.0.0;

include "comparators.circom";

// Small enough to commit its compiled files: IsZero, LessThan(8) and a product.
template Small() {
    signal input x;
    signal input y;
    signal output zero;
    signal output less;
    signal output prod;

    component z = IsZero();
    z.in <== x;
    zero <== z.out;

    component lt = LessThan(8);
    lt.in[0] <== x;
    lt.in[1] <== y;
    less <== lt.out;

    prod <== x * y;
}

component main {public [y]} = Small();

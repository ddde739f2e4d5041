pragma circom 2.0.0;
include "poseidon.circom";
template MerkleProof(levels) {
    signal input leaf;
    signal input pathElements[levels];
    signal input pathIndices[levels];
    signal output root;
    component hashers[levels];
    signal left[levels];
    signal right[levels];
    signal cur[levels+1];
    cur[0] <== leaf;
    for (var i = 0; i < levels; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        left[i] <== cur[i] + pathIndices[i] * (pathElements[i] - cur[i]);
        right[i] <== pathElements[i] - pathIndices[i] * (pathElements[i] - cur[i]);
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== left[i];
        hashers[i].inputs[1] <== right[i];
        cur[i+1] <== hashers[i].out;
    }
    root <== cur[levels];
}
component main = MerkleProof(20);

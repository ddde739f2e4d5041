"""BN254 groups G1 (over Fp) and G2 (over Fp2): numba point kernels, point types, encodings."""

"""BN254 pairing constants: the curve parameter, the Miller loop digits, Frobenius coefficients.

The hex values are the usual published ones (gnark-crypto, arkworks); tests/test_pairing_constants.py
recomputes every one of them from its definition (powers of xi = 9 + u, signed digits of 6x + 2).
Arrays hold Montgomery limbs so that kernels read them as constants folded in at compile time.
"""
from __future__ import annotations

import numpy as np

from zk.field import P, R
from zk.curve.kernels import montgomery_limbs
from zk.field.bn254 import BN_X, TWIST_B

ATE_LOOP_COUNT = 6 * BN_X + 2

# Non-adjacent form of 6x + 2, least significant digit first (66 digits, top digit 1).
ATE_LOOP_NAF = (
    0, 0, 0, 1, 0, 1, 0, -1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, -1, 0, 0, 0, 1, 0, -1, 0, 0, 0, 0,
    -1, 0, 0, 1, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, -1, 0, 0, -1, 0, 1, 0, -1, 0, 0, 0, -1, 0, -1, 0, 0,
    0, 1, 0, -1, 0, 1,
)  # fmt: skip

# Non-adjacent form of x, least significant digit first (63 digits, 24 non-zero against 28 ones in binary).
BN_X_NAF = (
    1, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, -1, 0, 1, 0, 1, 0, 1, 0, 0, 1,
    0, 0, 0, 1, 0, -1, 0, -1, 0, -1, 0, 1, 0, 1, 0, 0, -1, 0, 1, 0, 1, 0, -1, 0, 0, 1, 0, 1, 0, 0,
    0, 1,
)  # fmt: skip

# XI (w^6 = XI in the tower) and the twist's b come from zk.field.bn254; the twist is D-type:
# psi(x, y) = (x w^2, y w^3) maps E': y^2 = x^3 + 3/XI onto y^2 = x^3 + 3.

# FROBENIUS_COEFFS[j][k] = XI^(k (p^j - 1) / 6) for j = 1, 2, 3 and k = 0..5: w^k maps to
# w^k * FROBENIUS_COEFFS[j][k] under x -> x^(p^j). For j = 2 they lie in Fp.
FROBENIUS_COEFFS = {
    1: (
        (1, 0),
        (0x1284B71C2865A7DFE8B99FDD76E68B605C521E08292F2176D60B35DADCC9E470,
         0x246996F3B4FAE7E6A6327CFE12150B8E747992778EEEC7E5CA5CF05F80F362AC),
        (0x2FB347984F7911F74C0BEC3CF559B143B78CC310C2C3330C99E39557176F553D,
         0x16C9E55061EBAE204BA4CC8BD75A079432AE2A1D0B7C9DCE1665D51C640FCBA2),
        (0x063CF305489AF5DCDC5EC698B6E2F9B9DBAAE0EDA9C95998DC54014671A0135A,
         0x07C03CBCAC41049A0704B5A7EC796F2B21807DC98FA25BD282D37F632623B0E3),
        (0x05B54F5E64EEA80180F3C0B75A181E84D33365F7BE94EC72848A1F55921EA762,
         0x2C145EDBE7FD8AEE9F3A80B03B0B1C923685D2EA1BDEC763C13B4711CD2B8126),
        (0x0183C1E74F798649E93A3661A4353FF4425C459B55AA1BD32EA2C810EAB7692F,
         0x12ACF2CA76FD0675A27FB246C7729F7DB080CB99678E2AC024C6B8EE6E0C2C4B),
    ),
    2: (
        (1, 0),
        (0x30644E72E131A0295E6DD9E7E0ACCCB0C28F069FBB966E3DE4BD44E5607CFD49, 0),
        (0x30644E72E131A0295E6DD9E7E0ACCCB0C28F069FBB966E3DE4BD44E5607CFD48, 0),
        (0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD46, 0),
        (0x000000000000000059E26BCEA0D48BACD4F263F1ACDB5C4F5763473177FFFFFE, 0),
        (0x000000000000000059E26BCEA0D48BACD4F263F1ACDB5C4F5763473177FFFFFF, 0),
    ),
    3: (
        (1, 0),
        (0x19DC81CFCC82E4BBEFE9608CD0ACAA90894CB38DBE55D24AE86F7D391ED4A67F,
         0x00ABF8B60BE77D7306CBEEE33576139D7F03A5E397D439EC7694AA2BF4C0C101),
        (0x0856E078B755EF0ABAFF1C77959F25AC805FFD3D5D6942D37B746EE87BDCFB6D,
         0x04F1DE41B3D1766FA9F30E6DEC26094F0FDF31BF98FF2631380CAB2BAAA586DE),
        (0x2A275B6D9896AA4CDBF17F1DCA9E5EA3BBD689A3BEA870F45FCC8AD066DCE9ED,
         0x28A411B634F09B8FB14B900E9507E9327600ECC7D8CF6EBAB94D0CB3B2594C64),
        (0x0BC58C6611C08DAB19BEE0F7B5B2444EE633094575B06BCB0E1A92BC3CCBF066,
         0x23D5E999E1910A12FEB0F6EF0CD21D04A44A9E08737F96E55FE3ED9D730C239F),
        (0x13C49044952C0905711699FA3B4D3F692ED68098967C84A5EBDE847076261B43,
         0x16DB366A59B1DD0B9FB1B2282A48633D3E2DDAEA200280211F25041384282499),
    ),
}  # fmt: skip

def fp2_montgomery_array(pairs) -> np.ndarray:
    """(n, 2, 4) uint64 Montgomery limbs of a sequence of Fp2 values given as (c0, c1) ints."""
    return np.array([[montgomery_limbs(c0), montgomery_limbs(c1)] for c0, c1 in pairs], dtype=np.uint64)


# Rows 0..5: Frobenius p, rows 6..11: p^2, rows 12..17: p^3 (indexed by 6 (j - 1) + k).
FROBENIUS_TABLE = fp2_montgomery_array([c for j in (1, 2, 3) for c in FROBENIUS_COEFFS[j]])
# 3 b' for the doubling step, and 1/2 in Fp for the halvings there.
TWIST_B3_TABLE = fp2_montgomery_array([(3 * TWIST_B[0] % P, 3 * TWIST_B[1] % P)])
HALF_TABLE = np.array([montgomery_limbs(pow(2, -1, P))], dtype=np.uint64)
ATE_LOOP_DIGITS = np.array(ATE_LOOP_NAF, dtype=np.int8)
BN_X_DIGITS = np.array(BN_X_NAF, dtype=np.int8)

# Final exponent (p^12 - 1) / r and its hard part (p^4 - p^2 + 1) / r.
FINAL_EXPONENT = (P**12 - 1) // R
HARD_EXPONENT = (P**4 - P**2 + 1) // R

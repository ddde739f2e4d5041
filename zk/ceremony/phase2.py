"""Groth16 phase 2 on snarkjs .zkey files: `groth16 setup` from a powers of tau, `zkey contribute`,
`zkey beacon` and `zkey verify`, byte-compatible with snarkjs 0.7.6 (``zkey_new.js``,
``zkey_contribute.js``, ``zkey_beacon.js``, ``zkey_verify_frominit.js``).

Setup. With L_i the Lagrange bases of the size-n domain at tau (the prepared ptau's sections 12-15
at level log n), each signal s gets
    A[s]  = sum_A  k [L_i]_1            B1[s] = sum_B k [L_i]_1        B2[s] = sum_B k [L_i]_2
    K[s]  = sum_A  k [beta L_i]_1 + sum_B k [alpha L_i]_1 + sum_C k [L_i]_1
over the entries k at (row i, signal s) of each matrix, A extended by one row per public signal;
K[s] is IC[s] for s <= nPublic and C[s] (the L query) otherwise; H[i] = [L^(2n)_(2i+1)(tau)]_1, the
odd points of level log n + 1. gamma = delta = 1 until the first contribution. Everything is
deterministic, so the output equals snarkjs's byte for byte.

Circuit hash: BLAKE2b-512 over alpha_1, beta_1, beta_2, gamma_2, delta_1, delta_2, then each of the
sections IC, H, C, A, B1, B2 as a big-endian u32 count and its points (for H the classic
[tau^i (tau^n - 1)]_1, i < n - 1, from the ptau's tauG1), points uncompressed big-endian.

Contribution with secret d: delta_1, delta_2 times d, sections C and H times d^-1, and a proof of
knowledge: g1_s random, g1_sx = d g1_s, transcript = BLAKE2b-512(circuit hash, every earlier
contribution's public key, g1_s, g1_sx), g2_spx = d hash-to-G2(transcript).
"""
from __future__ import annotations

import hashlib
import struct
import numpy as np

from zk.curve import G1Point, G2Point, g1_from_array, g2_from_array
from zk.curve.kernels import batch_to_affine
from zk.field import FP, FP2, FR, R
from zk.field import arrays as A
from zk.formats import zkey as Z

from .points import uncompressed

from zk.ceremony.powersoftau import CeremonyError, Progress, no_progress  # noqa: F401  (re-exported)


class VerificationFailed(ValueError):
    """A .zkey that does not follow from its circuit and powers of tau, or whose chain differs
    from the published one. The message names the first problem found."""


# ---------------------------------------------------------------------------------------------
# The sparse matrix-vector product in the exponent (kernels: zk.ceremony.kernels)

_HALF_R = (R - 1) // 2
_HALF_LIMBS = np.array([(_HALF_R >> (64 * i)) & ((1 << 64) - 1) for i in range(4)], dtype=np.uint64)
_CHUNKS = 64  # parallel tasks of setup, balanced by entry count


def signed_scalars(plain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(|k| as limbs, negative flags) with k taken in (-r/2, r/2]: circuits are full of r - 1 and
    r - 2^j, which become one addition or a short double-and-add."""
    less = np.zeros(plain.shape[0], dtype=bool)
    equal = np.ones(plain.shape[0], dtype=bool)
    for i in (3, 2, 1, 0):
        less |= equal & (plain[:, i] < _HALF_LIMBS[i])
        equal &= plain[:, i] == _HALF_LIMBS[i]
    negative = ~(less | equal)
    out = np.ascontiguousarray(plain, dtype=np.uint64).copy()
    if negative.any():
        picked = np.ascontiguousarray(out[negative])
        flipped = np.empty_like(picked)
        A.sub(FR, np.zeros_like(picked), picked, flipped)  # r - k: subtraction mod r is form-independent
        out[negative] = flipped
    return out, negative


def accumulate(F, bases, src, dst, scalars, negative, out_jac) -> None:
    """out_jac[d] = sum of the entries with dst == d of (-1)^negative scalar * bases[src], in
    parallel over groups of outputs of about equal entry counts."""
    from zk.ceremony.kernels import sparse_accumulate

    order = np.argsort(dst, kind="stable")
    dst_sorted = dst[order]
    starts_mask = np.ones(dst_sorted.shape[0], dtype=bool)
    starts_mask[1:] = dst_sorted[1:] != dst_sorted[:-1]
    first = np.flatnonzero(starts_mask)
    starts = np.append(first, dst_sorted.shape[0]).astype(np.int64)
    # Work per group: its entries plus its chain of doublings (about two entries' worth).
    done = np.cumsum(np.diff(starts) + 2)
    total = int(done[-1]) if done.shape[0] else 0
    cuts = np.searchsorted(done, np.linspace(0, total, _CHUNKS + 1)[1:-1], side="right")
    chunks = np.unique(np.concatenate([[0], cuts, [first.shape[0]]])).astype(np.int64)
    sparse_accumulate(F, bases, np.ascontiguousarray(src[order], dtype=np.int64),
                      np.ascontiguousarray(scalars[order]), np.ascontiguousarray(negative[order]), starts,
                      np.ascontiguousarray(dst_sorted[first], dtype=np.int64), chunks, out_jac)


def _u(points: np.ndarray) -> bytes:
    return uncompressed(points).tobytes()


def _to_affine(F, jac: np.ndarray) -> np.ndarray:
    out = np.empty((jac.shape[0], 2) + jac.shape[2:], dtype=np.uint64)
    batch_to_affine(F, jac, out)
    return out


# ---------------------------------------------------------------------------------------------
# Setup


def _u32be(n: int) -> bytes:
    return struct.pack(">I", n)


def circuit_power(n_constraints: int, n_public: int) -> int:
    """log2 of snarkjs's domain: the smallest power of two above nConstraints + nPublic rows."""
    return max(1, (n_constraints + n_public).bit_length())


def _lagrange(ptau, power: int):
    """Levels ``power`` of the Lagrange sections 12-15 and level ``power + 1`` of section 12."""
    from zk.formats.ptau import (LAGRANGE_ALPHA_TAU_G1, LAGRANGE_BETA_TAU_G1, LAGRANGE_TAU_G1,
                                 LAGRANGE_TAU_G2)

    if ptau.prepared:
        return ([ptau.lagrange_level(s, power) for s in (LAGRANGE_TAU_G1, LAGRANGE_TAU_G2, LAGRANGE_ALPHA_TAU_G1,
                                                         LAGRANGE_BETA_TAU_G1)],
                ptau.lagrange_level(LAGRANGE_TAU_G1, power + 1))
    # Not prepared: the same inverse FFTs in the exponent as `ptau prepare`, for the two levels
    # this circuit needs only (level power + 1 pads tauG1 with infinity when it has 2^(p+1) - 1).
    from zk.ceremony.powersoftau import Twiddles, lagrange_level
    from zk.formats.ptau import ALPHA_TAU_G1, BETA_TAU_G1, TAU_G1, TAU_G2

    twiddles = Twiddles(power)
    levels = [lagrange_level(ptau.points(s, 0, 1 << power), twiddles) for s in (TAU_G1, TAU_G2, ALPHA_TAU_G1,
                                                                                 BETA_TAU_G1)]
    have = min(2 << power, 2 * (1 << ptau.power) - 1)
    tau = ptau.points(TAU_G1, 0, have)
    if have < 2 << power:
        tau = np.concatenate([tau, np.zeros((1, 2, 4), dtype=np.uint64)])
    return levels, lagrange_level(tau, Twiddles(power + 1))


def new_zkey(r1cs_path, ptau, *, progress: Progress = no_progress) -> Z.Zkey:
    """snarkjs `groth16 setup`: the initial .zkey (no contributions) of a circom .r1cs over a
    powers-of-tau file (:class:`zk.formats.ptau.PtauFile`, prepared or not)."""
    from zk.formats.circom import read_r1cs_terms  # here: `zkey contribute` reads no circuit

    terms = read_r1cs_terms(r1cs_path)
    n_vars, n_public, n_constraints = terms.n_wires, terms.n_public, terms.n_constraints
    power = circuit_power(n_constraints, n_public)
    if power > ptau.power:
        raise CeremonyError(f"the circuit needs a domain of 2^{power} ({n_constraints} constraints, {n_public} public "
                            f"signals) but the powers of tau only reach 2^{ptau.power}")
    n = 1 << power
    with progress(f"groth16 setup 2^{power}", 5) as bar:
        z = _setup(terms, ptau, power, bar)
    return z


def _setup(terms, ptau, power: int, bar) -> Z.Zkey:
    from zk.curve import g1_to_array, g2_to_array
    from zk.formats.ptau import ALPHA_TAU_G1, BETA_G2, BETA_TAU_G1, TAU_G1

    n_vars, n_public, n_constraints = terms.n_wires, terms.n_public, terms.n_constraints
    n = 1 << power
    (l1, l2, la, lb), l1_double = _lagrange(ptau, power)
    bar.update(1)

    # The entries, A extended by its public-input rows (signal s at row nConstraints + s, value 1).
    extra = np.arange(n_public + 1, dtype=np.int64)
    matrix = np.concatenate([terms.matrix, np.zeros(n_public + 1, dtype=np.int64)])
    row = np.concatenate([terms.constraint, n_constraints + extra])
    signal = np.concatenate([terms.signal, extra])
    one = np.zeros((n_public + 1, 4), dtype=np.uint64)
    one[:, 0] = 1
    coeffs = np.concatenate([terms.coeffs, one])
    mag, neg = signed_scalars(coeffs)

    # G1: outputs A | B1 | K (IC and C), bases L | alpha L | beta L.
    is_a, is_b, is_c = matrix == 0, matrix == 1, matrix == 2
    dst = np.concatenate([signal[is_a], n_vars + signal[is_b], 2 * n_vars + signal[is_a],
                          2 * n_vars + signal[is_b], 2 * n_vars + signal[is_c]])
    src = np.concatenate([row[is_a], row[is_b], 2 * n + row[is_a], n + row[is_b], row[is_c]])
    pick = np.concatenate([np.flatnonzero(is_a), np.flatnonzero(is_b), np.flatnonzero(is_a),
                           np.flatnonzero(is_b), np.flatnonzero(is_c)])
    bases = np.ascontiguousarray(np.concatenate([l1, la, lb]))
    jac = np.empty((3 * n_vars, 3, 4), dtype=np.uint64)
    accumulate(FP, bases, src, dst, mag[pick], neg[pick], jac)
    g1 = _to_affine(FP, jac)
    bar.update(1)
    jac2 = np.empty((n_vars, 3, 2, 4), dtype=np.uint64)
    sel = np.flatnonzero(is_b)
    accumulate(FP2, np.ascontiguousarray(l2), row[sel], signal[sel], mag[sel], neg[sel], jac2)
    b2 = _to_affine(FP2, jac2)
    bar.update(1)
    a, b1, k = g1[:n_vars], g1[n_vars:2 * n_vars], g1[2 * n_vars:]
    ic, c = np.ascontiguousarray(k[:n_public + 1]), np.ascontiguousarray(k[n_public + 1:])
    h = np.ascontiguousarray(l1_double[1::2])

    alpha_g1 = g1_from_array(ptau.points(ALPHA_TAU_G1, 0, 1))[0]
    beta_g1 = g1_from_array(ptau.points(BETA_TAU_G1, 0, 1))[0]
    beta_g2 = g2_from_array(ptau.points(BETA_G2, 0, 1))[0]
    g1, g2 = G1Point.generator(), G2Point.generator()

    # Section 4: per constraint its A entries then its B entries (file order), then the public rows.
    ab = np.flatnonzero(matrix < 2)
    order = ab[np.argsort(row[ab] * 2 + matrix[ab], kind="stable")]
    rec = np.empty(order.shape[0], dtype=Z.COEF_DTYPE)
    rec["matrix"], rec["constraint"], rec["signal"] = matrix[order], row[order], signal[order]
    mont = np.empty((order.shape[0], 4), dtype=np.uint64)
    A.to_montgomery_rows(FR, np.ascontiguousarray(coeffs[order]), mont)
    twice = np.empty_like(mont)
    A.to_montgomery_rows(FR, mont, twice)
    rec["value"] = twice

    z = Z.Zkey(n_vars, n_public, n, alpha_g1, beta_g1, beta_g2, g2, g1, g2, ic, rec,
               np.ascontiguousarray(a), np.ascontiguousarray(b1), b2, c, h)

    bar.update(1)
    hasher = hashlib.blake2b(digest_size=64)
    hasher.update(_u(g1_to_array([alpha_g1, beta_g1])) + _u(g2_to_array([beta_g2, g2])) + _u(g1_to_array([g1]))
                  + _u(g2_to_array([g2])))
    hasher.update(_u32be(n_public + 1) + _u(ic))
    tau = ptau.points(TAU_G1, 0, 2 * n - 1)
    diff = np.empty((n - 1, 3, 4), dtype=np.uint64)
    from zk.ceremony.kernels import subtract_affine

    subtract_affine(FP, np.ascontiguousarray(tau[n:2 * n - 1]), np.ascontiguousarray(tau[:n - 1]), diff)
    hasher.update(_u32be(n - 1) + _u(_to_affine(FP, diff)))
    hasher.update(_u32be(c.shape[0]) + _u(c))
    hasher.update(_u32be(n_vars) + _u(a))
    hasher.update(_u32be(n_vars) + _u(b1))
    hasher.update(_u32be(n_vars) + _u(b2))
    z.cs_hash = hasher.digest()
    bar.update(1)
    return z


# ---------------------------------------------------------------------------------------------
# Contributions


def transcript_prefix(z: Z.Zkey) -> bytes:
    """What every new contribution's transcript starts with: the circuit hash, then each earlier
    contribution's public key (snarkjs ``hashPubKey``)."""
    h = [z.cs_hash]
    for c in z.contributions:
        h.append(pubkey_bytes(c))
    return b"".join(h)


def pubkey_bytes(c: Z.Contribution) -> bytes:
    from zk.curve import g1_to_array, g2_to_array

    return (_u(g1_to_array([c.delta_after, c.g1_s, c.g1_sx])) + _u(g2_to_array([c.g2_spx]))
            + c.transcript)


def contribution_hash(c: Z.Contribution) -> bytes:
    return hashlib.blake2b(pubkey_bytes(c), digest_size=64).digest()


def scale_points(points: np.ndarray, scalar: int) -> np.ndarray:
    """Every affine G1 row times one scalar (``zk.ceremony.kernels.scale_points``), affine out."""
    from zk.ceremony.kernels import scale_points as scale

    out = np.empty_like(points)
    if points.shape[0]:
        scale(FP, np.ascontiguousarray(points), A.ints_to_raw([scalar % R]), out)
    return out


def _apply(z: Z.Zkey, rng, kind: int, name: str | None, beacon_hash: bytes | None = None,
           exp: int | None = None, progress: Progress = no_progress) -> tuple[Z.Zkey, bytes]:
    from dataclasses import replace

    from zk.ceremony.keypair import create_delta_key

    if z.c is None:
        raise CeremonyError("the zkey was read without its point sections")
    key = create_delta_key(transcript_prefix(z), rng)
    try:
        inverse = pow(key.secret, -1, R)
        delta_g1 = z.delta_g1 * key.secret
        delta_g2 = z.delta_g2 * key.secret
        with progress("zkey contribute", z.c.shape[0] + z.h.shape[0]) as bar:
            c = scale_points(z.c, inverse)
            bar.update(z.c.shape[0])
            h = scale_points(z.h, inverse)
            bar.update(z.h.shape[0])
    finally:
        key.secret = inverse = 0
    contribution = Z.Contribution(delta_g1, key.g1_s, key.g1_sx, key.g2_spx, key.transcript, kind, name or None,
                                  exp, beacon_hash)
    out = replace(z, delta_g1=delta_g1, delta_g2=delta_g2, c=c, h=h, contributions=[*z.contributions, contribution])
    return out, contribution_hash(contribution)


def contribute(z: Z.Zkey, *, entropy: str | bytes = b"", name: str | None = None,
               progress: Progress = no_progress) -> tuple[Z.Zkey, bytes]:
    """snarkjs `zkey contribute`: a fresh secret delta from the OS CSPRNG (plus optional user
    entropy, hashed in), forgotten when this returns. Returns the new key and the contribution
    hash the contributor publishes."""
    from zk.ceremony.keypair import random_rng

    return _apply(z, random_rng(entropy), Z.CONTRIBUTION, name, progress=progress)


def beacon(z: Z.Zkey, beacon_hash: bytes, num_iterations_exp: int, *, name: str | None = None,
           progress: Progress = no_progress) -> tuple[Z.Zkey, bytes]:
    """snarkjs `zkey beacon`: the contribution a public random value determines (SHA-256 iterated
    2^exp times seeds ChaCha), so anyone can recompute it."""
    from zk.ceremony.keypair import beacon_rng

    if not 1 <= len(beacon_hash) <= 255:
        raise CeremonyError("the beacon hash must be 1 to 255 bytes")
    return _apply(z, beacon_rng(beacon_hash, num_iterations_exp), Z.BEACON, name, bytes(beacon_hash),
                  num_iterations_exp, progress)


# ---------------------------------------------------------------------------------------------
# Verification


def _random_scalars(n: int) -> np.ndarray:
    import secrets

    out = np.zeros((n, 4), dtype=np.uint64)
    out[:, :2] = np.frombuffer(secrets.token_bytes(16 * n), dtype="<u8").reshape(n, 2)
    return out


def _combined_same_ratio(before: np.ndarray, after: np.ndarray, delta_before: G2Point, delta_after: G2Point) -> bool:
    """sum r_i before_i and sum r_i after_i (128-bit random r_i) have the ratio delta_after /
    delta_before: every after_i = before_i * delta_before / delta_after, up to 2^-128."""
    from zk.ceremony.keypair import same_ratio
    from zk.msm import msm_g1

    if before.shape[0] == 0:
        return True
    if before.shape != after.shape:
        return False
    r = _random_scalars(before.shape[0])
    lhs = msm_g1(np.ascontiguousarray(before), r, check=False)
    rhs = msm_g1(np.ascontiguousarray(after), r, check=False)
    if lhs.is_infinity() and rhs.is_infinity():
        return True
    return same_ratio(lhs, rhs, delta_after, delta_before)


def normalize_hash(text: str) -> bytes:
    digits = "".join(text.split()).lower()
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raise CeremonyError(f"expected contribution hash {text!r} is not hexadecimal") from None
    if len(raw) != 64:
        raise CeremonyError(f"expected contribution hash {text[:20]!r}... has {len(raw)} bytes, not 64")
    return raw


def verify_chain(z: Z.Zkey) -> list[bytes]:
    """The checks on section 10 alone (snarkjs ``zkey verify``'s loop): each transcript follows
    the chain, each proof of knowledge holds, each deltaAfter follows from the one before,
    beacons reproduce; and the header's delta is the last deltaAfter. Returns the contribution
    hashes."""
    from zk.ceremony.keypair import beacon_rng, hash_to_g2, same_ratio
    from zk.ceremony.chacha import fr_from_rng, g1_from_rng

    prefix = z.cs_hash
    current = G1Point.generator()
    hashes = []
    for i, c in enumerate(z.contributions, 1):
        expected = hashlib.blake2b(prefix + _u(_g1rows(c.g1_s, c.g1_sx)), digest_size=64).digest()
        if expected != c.transcript:
            raise VerificationFailed(f"contribution {i}: its transcript does not follow the earlier chain "
                                     "(a contribution was removed, replaced or reordered)")
        g2_sp = hash_to_g2(c.transcript)
        if not same_ratio(c.g1_s, c.g1_sx, g2_sp, c.g2_spx):
            raise VerificationFailed(f"contribution {i}: its proof of knowledge is wrong (g1_s, g1_sx and g2_spx "
                                     "do not have the same ratio)")
        if not same_ratio(current, c.delta_after, g2_sp, c.g2_spx):
            raise VerificationFailed(f"contribution {i}: deltaAfter does not follow from the previous delta and its "
                                     "public key")
        if c.kind == Z.BEACON:
            try:
                rng = beacon_rng(c.beacon_hash, c.num_iterations_exp)
            except ValueError as exc:
                raise VerificationFailed(f"contribution {i}: {exc}") from None
            secret = fr_from_rng(rng)
            g1_s = g1_from_rng(rng)
            if g1_s != c.g1_s or g1_s * secret != c.g1_sx:
                raise VerificationFailed(f"contribution {i}: the beacon's key does not follow from its hash "
                                         f"{c.beacon_hash.hex()} and 2^{c.num_iterations_exp} iterations")
        prefix += pubkey_bytes(c)
        hashes.append(contribution_hash(c))
        current = c.delta_after
    if z.delta_g1 != current:
        raise VerificationFailed("the header's delta_1 is not the last contribution's deltaAfter")
    if not same_ratio(G1Point.generator(), current, G2Point.generator(), z.delta_g2):
        raise VerificationFailed("the header's delta_2 does not match its delta_1")
    return hashes


def _g1rows(*points):
    from zk.curve import g1_to_array

    return g1_to_array(points)


def verify(r1cs_path, ptau, z: Z.Zkey, *, expect: list[bytes] | None = None,
           progress: Progress = no_progress) -> list[bytes]:
    """snarkjs `zkey verify`: rebuild the initial key from the circuit and the powers of tau and
    check that ``z`` follows from it by its contributions. With ``expect`` (the hashes the
    participants published, in order), the chain must be exactly that one. Returns the
    contribution hashes; raises :class:`VerificationFailed` naming the first problem."""
    hashes = verify_chain(z)
    init = new_zkey(r1cs_path, ptau, progress=progress)
    if (init.n_vars, init.n_public, init.domain_size) != (z.n_vars, z.n_public, z.domain_size):
        raise VerificationFailed(f"the zkey is for another circuit: {z.n_vars} signals, {z.n_public} public, domain "
                                 f"{z.domain_size}; the .r1cs gives {init.n_vars}, {init.n_public}, {init.domain_size}")
    for name in ("alpha_g1", "beta_g1", "beta_g2", "gamma_g2"):
        if getattr(init, name) != getattr(z, name):
            raise VerificationFailed(f"{name.replace('_g', '_')} differs from the one the powers of tau give")
    if init.cs_hash != z.cs_hash:
        raise VerificationFailed("the circuit hash differs: the zkey was made for another circuit or powers of tau")
    checks = ((init.ic, z.ic, "IC (section 3)"), (init.a, z.a, "A (section 5)"), (init.b1, z.b1, "B1 (section 6)"),
              (init.b2, z.b2, "B2 (section 7)"))
    if init.coeffs.tobytes() != z.coeffs.tobytes():
        raise VerificationFailed("the coefficients (section 4) differ from the circuit's")
    for mine, theirs, name in checks:
        if not np.array_equal(mine, theirs):
            raise VerificationFailed(f"section {name} differs from the initial key's")
    if not _combined_same_ratio(init.c, z.c, init.delta_g2, z.delta_g2):
        raise VerificationFailed("section C (8) is not the initial key's divided by delta")
    if not _combined_same_ratio(init.h, z.h, init.delta_g2, z.delta_g2):
        raise VerificationFailed("section H (9) is not the initial key's divided by delta")
    if expect is not None:
        if len(expect) != len(hashes):
            raise VerificationFailed(f"the zkey has {len(hashes)} contributions, {len(expect)} were published")
        for i, (got, want) in enumerate(zip(hashes, expect), 1):
            if got != want:
                raise VerificationFailed(f"contribution {i} has hash {got.hex()[:16]}..., the published one is "
                                         f"{want.hex()[:16]}...")
    return hashes

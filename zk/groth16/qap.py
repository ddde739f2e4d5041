"""R1CS -> QAP, in snarkjs's layout (``zkey_new.js`` / ``groth16_prove.js``).

Rows: the m constraints, then one row per public wire s = 0..nPublic with A = x_s and B = C = 0.
Those extra rows make the polynomials u_s of the public wires linearly independent (each is the
only wire with a non-zero A in its own row), which Groth16's soundness proof assumes: without
them two public inputs with identical (u, v, w) columns could be swapped or combined freely.
The domain is the smallest power of two holding all m + nPublic + 1 rows (at least 2).

Quotient: D = A·B - C has degree <= 2n - 2 and, for a satisfying witness, vanishes on the
size-n domain. On the size-2n domain its values at the even points are therefore 0, so
D(tau) = sum_i D(w2^(2i+1)) L^(2n)_(2i+1)(tau): the prover evaluates A, B, C on the odd coset
w2·<w> (one iNTT + one coset NTT each) and the key holds [L^(2n)_(2i+1)(tau) / delta]_1, so no
division by Z and no final inverse NTT are needed. D(tau) = h(tau) Z(tau) is what C needs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from zk.field import FR, R
from zk.field import arrays as field_arrays
from zk.field.ops import fadd, feq, fload, fmul, fstore, fsub, from_montgomery
from zk.poly import coset_ntt, intt, root_of_unity


class QAPError(ValueError):
    """A constraint system or witness that cannot be turned into a QAP instance."""


class UnsatisfiedWitness(QAPError):
    """The witness violates a constraint: no valid proof exists for it."""

    def __init__(self, constraint: int, origin: str | None = None):
        self.constraint = constraint
        where = f" ({origin})" if origin else ""
        super().__init__(f"the witness does not satisfy constraint {constraint}{where}")


def domain_size_for(n_constraints: int, n_public: int) -> int:
    rows = n_constraints + n_public + 1
    return max(2, 1 << (rows - 1).bit_length())


@dataclass
class Matrix:
    """One sparse matrix in coordinate form, coefficients as Montgomery Fr limbs."""

    rows: np.ndarray  # (k,) int64
    cols: np.ndarray  # (k,) int64
    coeffs: np.ndarray  # (k, 4) uint64 Montgomery

    @property
    def nnz(self) -> int:
        return int(self.rows.shape[0])


@dataclass
class R1CSMatrices:
    """What setup and prove need from a constraint system: sizes and the A, B, C matrices."""

    n_wires: int
    n_public: int  # outputs + public inputs, not counting the constant wire
    n_constraints: int
    a: Matrix
    b: Matrix
    c: Matrix | None  # None for keys from a snarkjs .zkey, which stores only A and B

    @property
    def domain_size(self) -> int:
        return domain_size_for(self.n_constraints, self.n_public)

    def validate(self) -> None:
        if self.n_wires < 1 or not 0 <= self.n_public < self.n_wires:
            raise QAPError(f"inconsistent sizes: {self.n_wires} wires, {self.n_public} public")
        for name, m in (("A", self.a), ("B", self.b), ("C", self.c)):
            if m is None and name == "C":
                continue
            if not (m.rows.dtype == m.cols.dtype == np.int64 and m.coeffs.dtype == np.uint64 and m.rows.ndim == 1):
                raise QAPError(f"matrix {name}: expected int64 row and column indices and uint64 coefficient limbs")
            k = m.nnz
            if m.cols.shape != (k,) or m.coeffs.shape != (k, 4):
                raise QAPError(f"matrix {name}: rows, cols and coefficients differ in length")
            if k and (m.rows.min() < 0 or m.rows.max() >= self.n_constraints):
                raise QAPError(f"matrix {name}: row index outside [0, {self.n_constraints})")
            if k and (m.cols.min() < 0 or m.cols.max() >= self.n_wires):
                raise QAPError(f"matrix {name}: wire index outside [0, {self.n_wires})")

    def a_with_public_rows(self) -> Matrix:
        """A plus the independence rows: row m + s has coefficient 1 at wire s, s = 0..nPublic."""
        extra = np.arange(self.n_public + 1, dtype=np.int64)
        one = field_arrays.to_array(FR, [1])
        return Matrix(
            np.concatenate([self.a.rows, self.n_constraints + extra]),
            np.concatenate([self.a.cols, extra]),
            np.concatenate([self.a.coeffs, np.repeat(one, extra.shape[0], axis=0)]),
        )


def from_constraint_system(cs) -> R1CSMatrices:
    """Matrices of a :class:`zk.r1cs.ConstraintSystem` (built in Python or read from a circom .r1cs
    by :func:`zk.formats.circom.read_r1cs`, which returns the same type)."""
    if isinstance(cs, R1CSMatrices):
        return cs
    if not hasattr(cs, "to_coo"):
        raise QAPError(f"expected a ConstraintSystem, got {type(cs).__name__}")
    if getattr(cs, "prime", R) != R:
        raise QAPError(f"the constraint system is over the prime {cs.prime}, not BN254's scalar field")
    mats = []
    for coo in cs.to_coo():
        if isinstance(coo.coeffs, np.ndarray):  # plain limbs (a system from zk.r1cs.cache)
            plain = np.ascontiguousarray(coo.coeffs, dtype=np.uint64).reshape(-1, 4)
            if field_arrays.first_non_canonical(FR, plain) >= 0:
                raise QAPError("a constraint coefficient is not below r")
            coeffs = np.empty_like(plain)
            field_arrays.to_montgomery_rows(FR, plain, coeffs)
        else:
            coeffs = field_arrays.to_array(FR, coo.coeffs, reduce=False)
        mats.append(Matrix(np.asarray(coo.rows, dtype=np.int64), np.asarray(coo.cols, dtype=np.int64), coeffs))
    out = R1CSMatrices(int(cs.n_wires), int(cs.n_public), int(cs.n_constraints), *mats)
    out.validate()
    return out


# ---------------------------------------------------------------------------------------------
# Kernels


@njit(cache=True)
def sparse_accumulate(F, dst_index, src_index, coeffs, src, out):
    """out[dst_index[k]] += coeffs[k] * src[src_index[k]] for every entry k; out is zeroed first.

    With (rows, cols) it is M·w (the prover); with (cols, rows) it is M^T·L (the setup).
    """
    out[:] = 0
    for k in range(dst_index.shape[0]):
        d = dst_index[k]
        term = fmul(F, fload(F, coeffs, k), fload(F, src, src_index[k]))
        fstore(F, out, d, fadd(F, fload(F, out, d), term))


@njit(cache=True)
def first_unsatisfied(F, a, b, c, count):
    for i in range(count):
        if not feq(F, fmul(F, fload(F, a, i), fload(F, b, i)), fload(F, c, i)):
            return i
    return -1


@njit(cache=True)
def mul_sub_plain(F, a, b, c, out):
    """out[i] = a[i] * b[i] - c[i], converted out of Montgomery form (MSM scalars are plain)."""
    for i in range(a.shape[0]):
        fstore(F, out, i, from_montgomery(F, fsub(F, fmul(F, fload(F, a, i), fload(F, b, i)), fload(F, c, i))))


@njit(cache=True)
def linear_combination3(F, x, y, z, cx, cy, scale, out):
    """out[i] = (cx * x[i] + cy * y[i] + z[i]) * scale."""
    for i in range(x.shape[0]):
        t = fadd(F, fadd(F, fmul(F, cx, fload(F, x, i)), fmul(F, cy, fload(F, y, i))), fload(F, z, i))
        fstore(F, out, i, fmul(F, t, scale))


def to_plain(mont: np.ndarray) -> np.ndarray:
    out = np.empty_like(mont)
    field_arrays.from_montgomery_rows(FR, mont, out)
    return out


def mont_element(x: int) -> tuple:
    row = field_arrays.to_array(FR, [x])[0]
    return tuple(np.uint64(v) for v in row)


# ---------------------------------------------------------------------------------------------
# Prover side


@njit(cache=True)
def add_public_rows(F, first_row, count, src, out):
    """out[first_row + s] += src[s] for s < count: A's independence rows (coefficient 1 at wire s)."""
    for s in range(count):
        fstore(F, out, first_row + s, fadd(F, fload(F, out, first_row + s), fload(F, src, s)))


def evaluate_rows(mats: R1CSMatrices, a_aug: Matrix | None, witness_mont: np.ndarray, n: int):
    """A·w, B·w, C·w on the n domain points (rows beyond the constraints are zero, except the
    independence rows of A, which carry the public values). ``a_aug``:
    ``mats.a_with_public_rows()``, or None to add those rows here without a copy of A."""
    out = []
    for m in (a_aug if a_aug is not None else mats.a, mats.b, mats.c):
        v = np.empty((n, 4), dtype=np.uint64)
        if m is None:  # no C matrix: C = A*B on every row, as snarkjs's prover takes it
            field_arrays.mul(FR, out[0], out[1], v)
        else:
            sparse_accumulate(FR, m.rows, m.cols, m.coeffs, witness_mont, v)
        if not out and a_aug is None:
            add_public_rows(FR, mats.n_constraints, mats.n_public + 1, witness_mont, v)
        out.append(v)
    return out


def quotient_evaluations(mats: R1CSMatrices, a_aug: Matrix | None, witness_mont: np.ndarray, origins=None) -> np.ndarray:
    """D = A·B - C on the odd points w2^(2i+1) of the size-2n domain, as plain scalars for the H MSM.

    Checks the witness first: a violated constraint raises :class:`UnsatisfiedWitness` instead
    of producing a proof that cannot verify. Without a C matrix (a snarkjs .zkey) there is nothing
    to check here: the caller must verify the proof.
    """
    n = mats.domain_size
    a, b, c = evaluate_rows(mats, a_aug, witness_mont, n)
    bad = first_unsatisfied(FR, a, b, c, mats.n_constraints)
    if bad >= 0:
        origin = origins[bad] if origins is not None and bad < len(origins) else None
        raise UnsatisfiedWitness(int(bad), origin)
    shift = root_of_unity(2 * n)
    for v in (a, b, c):
        intt(v)
        coset_ntt(v, shift)
    mul_sub_plain(FR, a, b, c, a)  # in place: one witness-size array fewer at the peak
    return a

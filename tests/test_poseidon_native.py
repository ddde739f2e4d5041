"""Native (numba) Poseidon against the reference implementation and circomlib's optimised tables."""
import pathlib
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zk.field import FR
from zk.field import arrays as FA
from zk.gadgets.poseidon import poseidon
from zk.gadgets.poseidon_native import PARALLEL_MIN, kernel_parameters, poseidon_array, poseidon_many
from zk.r1cs import R

ROOT = pathlib.Path(__file__).resolve().parent.parent
OPTIMISED = ROOT / "node_modules" / "circomlib" / "circuits" / "poseidon_constants.circom"

elements = st.one_of(st.integers(0, 3), st.integers(0, R - 1), st.just(R - 1))


@pytest.mark.parametrize("t", range(2, 18))
def test_every_width_matches_the_reference(t):
    rows = [[(i * 7919 + j * 104729) ** 5 % R for j in range(t - 1)] for i in range(3)] + [[0] * (t - 1), [R - 1] * (t - 1)]
    assert poseidon_many(rows) == [poseidon(r) for r in rows]


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.lists(elements, min_size=2, max_size=2), min_size=1, max_size=5))
def test_pairs_match_the_reference(rows):
    assert poseidon_many(rows) == [poseidon(r) for r in rows]


def test_circomlibjs_vectors():
    assert poseidon_many([[1, 2], [3, 4]]) == [0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A,
                                              14763215145315200506921711489642608356394854266165572616578112107564877678998]
    assert poseidon_many([[3, 4, 5, 10, 23]]) == [13034429309846638789535561449942021891039729847501137143363028890275222221409]


def test_initial_state_and_threads_agree():
    n = 2 * PARALLEL_MIN + 3
    rows = [[i, i * i % R] for i in range(n)]
    limbs = FA.to_array(FR, [x for r in rows for x in r]).reshape(n, 2, 4)
    initial = FA.to_array(FR, [i % 5 for i in range(n)])
    one = FA.from_array(FR, poseidon_array(limbs, initial, threads=1))
    many = FA.from_array(FR, poseidon_array(limbs, initial))
    assert one == many
    assert one[:4] == [poseidon(r, initial_state=i % 5) for i, r in enumerate(rows[:4])]


def test_bad_shapes_and_values_are_refused():
    with pytest.raises(ValueError, match="one length"):
        poseidon_many([[1, 2], [3]])
    with pytest.raises(ValueError, match="field elements"):
        poseidon_many([[1, R]])
    with pytest.raises(ValueError, match="expected an"):
        poseidon_array(np.zeros((2, 17, 4), dtype=np.uint64))
    assert poseidon_many([]) == []


def _circom_table(function: str) -> dict[int, list[int]]:
    text = OPTIMISED.read_text()
    body = text[text.index(f"function {function}"):]
    end = body.find("\n}\n")
    body = body if end < 0 else body[:end]
    out = {}
    for match in re.finditer(r"t\s*==\s*(\d+)\)\s*\{\s*return\s*(\[.*?\]);", body, re.S):
        out[int(match.group(1))] = [int(x, 0) for x in re.findall(r"0x[0-9a-fA-F]+|\d+", match.group(2))]
    return out


@pytest.mark.npm
def test_sparse_and_dense_matrices_are_circomlibs():
    """The derived sparse partial-round matrices are circomlib's POSEIDON_S, and the dense matrix
    before the partial rounds is its POSEIDON_P (which circomlib's Mix indexes transposed)."""
    if not OPTIMISED.exists():
        pytest.skip("npm peers not installed (run `make npm`)")
    sparse, dense = _circom_table("POSEIDON_S"), _circom_table("POSEIDON_P")
    for t in (2, 3, 5, 6, 17):
        k = kernel_parameters(t)
        assert FA.from_array(FR, k["sparse"].reshape(-1, 4)) == sparse[t], t
        p = FA.from_array(FR, k["mats"][3 * t:4 * t].reshape(-1, 4))  # the last full round of the first half
        assert [p[j * t + i] for i in range(t) for j in range(t)] == dense[t], t

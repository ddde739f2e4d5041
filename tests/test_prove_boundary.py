"""The prover checks a witness once, where it enters, and trusts it from there: every form of
witness (ints, Montgomery limbs from the solver, zk.msm.Scalars read straight from a .wtns)
proves the same statement;
a bad value is refused with its index; the range check runs exactly once per proof."""
from __future__ import annotations

import numpy as np
import pytest

import zk.msm.scalars as scalars_module
from zk.field import FR, R
from zk.field import arrays as field_arrays
from zk.formats.circom import CircomFormatError, parse_wtns, parse_wtns_scalars, wtns_bytes
from zk.groth16 import WitnessMismatch, prove, setup, verify
from zk.msm import Scalars, ScalarError
from zk.r1cs import Circuit, Private, Public, compile


class Product(Circuit):
    c = Public()
    a = Private()
    b = Private()

    def define(self, api):
        api.assert_equal(api.mul(self.a, self.b), self.c)


@pytest.fixture(scope="module")
def keyed():
    cs = compile(Product)
    pk, vk = setup(cs)
    return cs, pk, vk, cs.solve({"a": 6, "b": 7, "c": 42})


def test_every_witness_form_proves(keyed):
    _, pk, vk, witness = keyed
    limbs = field_arrays.ints_to_raw(witness)
    montgomery = field_arrays.to_array(FR, witness)
    for form in (witness, montgomery, Scalars.from_limbs(limbs), parse_wtns_scalars(wtns_bytes(witness))):
        proof, public = prove(pk, form)
        assert public == [42] and verify(vk, public, proof)


def test_the_range_check_runs_once_per_proof(keyed, monkeypatch):
    _, pk, vk, witness = keyed
    calls = []
    original = scalars_module.first_non_canonical

    def counting(field, rows):
        calls.append(rows.shape[0])
        return original(field, rows)

    monkeypatch.setattr(scalars_module, "first_non_canonical", counting)
    proof, public = prove(pk, witness)
    assert calls == [len(witness)]
    assert verify(vk, public, proof)
    calls.clear()
    prove(pk, Scalars.from_ints(witness))
    assert calls == []  # checked when made (from_ints checks the ints), trusted by prove


@pytest.mark.parametrize("index", [1, 3])
def test_a_value_not_below_r_is_refused_with_its_index(keyed, index):
    _, pk, _, witness = keyed
    bad = list(witness)
    bad[index] = R
    with pytest.raises(WitnessMismatch, match=rf"witness\[{index}\]"):
        prove(pk, bad)
    montgomery = field_arrays.to_array(FR, witness)
    montgomery[index] = field_arrays.ints_to_raw([R])[0]
    with pytest.raises(WitnessMismatch, match=rf"witness\[{index}\] is not a reduced Montgomery limb array"):
        prove(pk, montgomery)


def test_scalars_are_made_only_by_their_checks():
    with pytest.raises(TypeError):
        Scalars(np.zeros((1, 4), dtype=np.uint64))
    with pytest.raises(ScalarError):
        Scalars.from_limbs(np.zeros((2, 3), dtype=np.uint64))
    read_only = np.zeros((2, 4), dtype=np.uint64)
    read_only.flags.writeable = False
    assert Scalars.from_limbs(read_only).limbs.flags.writeable  # a copy the kernels can share


def test_wtns_limbs_equal_the_ints_and_bad_values_name_their_offset():
    values = [1, 2, R - 1, 2**200]
    data = wtns_bytes(values)
    assert parse_wtns_scalars(data).to_ints() == parse_wtns(data) == values
    bad = bytearray(data)
    bad[-32:] = R.to_bytes(32, "little")
    with pytest.raises(CircomFormatError, match=f"offset {len(data) - 32} is not below the prime"):
        parse_wtns_scalars(bytes(bad))

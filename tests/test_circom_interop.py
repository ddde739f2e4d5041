"""Interop with the real circom2 compiler and snarkjs (npm peers). Not skipped when node_modules exists."""
import json
import pathlib
import random
import shutil
import subprocess

import pytest

from zk.formats.circom import read_r1cs, read_sym, read_wtns, write_r1cs, write_sym, write_wtns
from zk.gadgets.merkle import MerkleTree, merkle_inclusion_circuit
from zk.gadgets.poseidon import poseidon
from zk.r1cs import R, UnsatisfiedConstraint, compile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "node_modules" / ".bin"
CIRCOMLIB = ROOT / "node_modules" / "circomlib" / "circuits"
DATA = pathlib.Path(__file__).parent / "data" / "circom"

pytestmark = [
    pytest.mark.npm,
    pytest.mark.skipif(not (BIN / "snarkjs").exists() or not (BIN / "circom2").exists(),
                       reason="npm peers not installed: node_modules/.bin/snarkjs missing (run `make npm`)"),
]

LIBRARY = ["poseidon.circom", "poseidon_constants.circom", "comparators.circom", "bitify.circom",
           "aliascheck.circom", "compconstant.circom", "binsum.circom"]


def run(tool, *args, cwd):
    result = subprocess.run([str(BIN / tool), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{tool} {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def circom_build(tmp_path, source: str, name: str, inputs: dict):
    """Compile with circom2 and compute the witness with snarkjs. circom2 runs under WASI and only
    sees the working directory, so the circuit and the circomlib files it includes are copied there."""
    for library_file in LIBRARY:
        shutil.copy(CIRCOMLIB / library_file, tmp_path / library_file)
    (tmp_path / f"{name}.circom").write_text(source)
    run("circom2", f"{name}.circom", "--r1cs", "--wasm", "--sym", "-o", ".", cwd=tmp_path)
    (tmp_path / "input.json").write_text(json.dumps(inputs))
    run("snarkjs", "wtns", "calculate", f"{name}_js/{name}.wasm", "input.json", f"{name}.wtns", cwd=tmp_path)
    cs = read_r1cs(tmp_path / f"{name}.r1cs", tmp_path / f"{name}.sym")
    return cs, read_wtns(tmp_path / f"{name}.wtns")


def test_circom_compiled_circuit_satisfied_by_snarkjs_witness(tmp_path):
    cs, witness = circom_build(tmp_path, (DATA / "demo.circom").read_text(), "demo", {"a": 1, "b": 2, "bound": 5})
    cs.check(witness)
    assert (cs.n_outputs, cs.n_public_inputs, cs.n_private_inputs) == (2, 1, 2)
    assert cs.labels[1:3] == ["main.hash", "main.small"]
    assert witness[1] == poseidon([1, 2]) and witness[2] == 1
    forged = list(witness)
    forged[1] = (forged[1] + 1) % R
    with pytest.raises(UnsatisfiedConstraint):
        cs.check(forged)


@pytest.mark.parametrize("n_inputs", [1, 4, 16])
def test_native_poseidon_matches_circomlib_circuit(tmp_path, n_inputs):
    rng = random.Random(n_inputs)
    values = [rng.randrange(R) for _ in range(n_inputs)]
    source = f'pragma circom 2.0.0;\ninclude "poseidon.circom";\ncomponent main = Poseidon({n_inputs});\n'
    cs, witness = circom_build(tmp_path, source, "p", {"inputs": [str(v) for v in values]})
    cs.check(witness)
    assert witness[1] == poseidon(values)


def test_committed_fixture_matches_fresh_compile(tmp_path):
    inputs = json.loads((DATA / "small_input.json").read_text())
    cs, witness = circom_build(tmp_path, (DATA / "small.circom").read_text(), "small", inputs)
    committed = read_r1cs(DATA / "small.r1cs")
    assert cs.constraints == committed.constraints
    assert witness == read_wtns(DATA / "small.wtns")
    assert read_sym(tmp_path / "small.sym") == read_sym(DATA / "small.sym")


def test_snarkjs_accepts_our_r1cs_and_witness(tmp_path):
    cs = compile(merkle_inclusion_circuit(4))
    tree = MerkleTree(4)
    tree.extend([11, 22, 33, 44, 55])
    witness = cs.solve({"root": tree.root, **tree.proof(3).as_inputs()})
    write_r1cs(cs, tmp_path / "ours.r1cs")
    write_sym(cs, tmp_path / "ours.sym")
    write_wtns(witness, tmp_path / "ours.wtns")
    info = run("snarkjs", "r1cs", "info", "ours.r1cs", cwd=tmp_path)
    assert f"# of Constraints: {cs.n_constraints}" in info
    assert f"# of Wires: {cs.n_wires}" in info
    assert "# of Public Inputs: 1" in info and f"# of Private Inputs: {1 + 2 * 4}" in info
    assert "WITNESS IS CORRECT" in run("snarkjs", "wtns", "check", "ours.r1cs", "ours.wtns", cwd=tmp_path)
    forged = list(witness)
    forged[-1] = (forged[-1] + 1) % R
    write_wtns(forged, tmp_path / "forged.wtns")
    result = subprocess.run([str(BIN / "snarkjs"), "wtns", "check", "ours.r1cs", "forged.wtns"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "WITNESS IS NOT CORRECT" in result.stdout + result.stderr

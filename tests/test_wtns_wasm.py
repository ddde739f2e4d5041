"""`zk wtns calculate`: circom's witness calculator under wasmtime, byte for byte against
`snarkjs wtns calculate` on circomlib circuits compiled by circom2, and hostile modules."""
from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest
from click.testing import CliRunner

import zk.cli.wtns  # noqa: F401  (attaches `zk wtns calculate`)
from zk.cli import cli
from zk.witness.wasm import CircomWasm, WasmWitnessError, fnv1a64

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "node_modules" / ".bin"
CIRCOMLIB = ROOT / "node_modules" / "circomlib" / "circuits"
DATA = pathlib.Path(__file__).parent / "data" / "circom"
LIBRARY = ["poseidon.circom", "poseidon_constants.circom", "comparators.circom", "bitify.circom",
           "aliascheck.circom", "compconstant.circom", "binsum.circom"]

npm = pytest.mark.skipif(not (BIN / "snarkjs").exists() or not (BIN / "circom2").exists(),
                         reason="npm peers not installed (run `make npm`)")

SOURCES = {
    "hash2": 'pragma circom 2.0.0;\ninclude "poseidon.circom";\ncomponent main = Poseidon(2);\n',
    "merkle": (DATA / "merkle_reference.circom").read_text().replace("MerkleProof(20)", "MerkleProof(3)"),
    "compare": """pragma circom 2.0.0;
include "comparators.circom";
template Compare() {
    signal input a;
    signal input b[2];
    signal output lt;
    signal output eq;
    component c = LessThan(32);
    c.in[0] <== a;
    c.in[1] <== b[0];
    lt <== c.out;
    component e = IsEqual();
    e.in[0] <== a;
    e.in[1] <== b[1];
    eq <== e.out;
    assert(a != 7);
}
component main = Compare();
""",
}


def run_tool(tool, *args, cwd):
    result = subprocess.run([str(BIN / tool), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)
    return result


@pytest.fixture(scope="session")
def circom_dir(tmp_path_factory):
    if not (BIN / "circom2").exists():
        pytest.skip("npm peers not installed (run `make npm`)")
    d = tmp_path_factory.mktemp("circom")
    for name in LIBRARY:
        shutil.copy(CIRCOMLIB / name, d / name)
    for name, source in SOURCES.items():
        (d / f"{name}.circom").write_text(source)
        result = run_tool("circom2", f"{name}.circom", "--r1cs", "--wasm", "--sym", "-o", ".", cwd=d)
        assert result.returncode == 0, result.stderr
    return d


def snarkjs_wtns(d, name, inputs):
    (d / "in.json").write_text(json.dumps(inputs))
    out = d / f"{name}-snarkjs.wtns"
    result = run_tool("snarkjs", "wtns", "calculate", f"{name}_js/{name}.wasm", "in.json", out.name, cwd=d)
    return out.read_bytes() if result.returncode == 0 else None


def merkle_inputs():
    from zk.gadgets import MerkleTree

    tree = MerkleTree(3)
    tree.extend([5, 6, 7])
    proof = tree.proof(2)
    return {"leaf": 7, "pathElements": [str(x) for x in proof.path_elements], "pathIndices": proof.path_indices}


CASES = [
    ("hash2", {"inputs": [1, 2]}),
    ("hash2", {"inputs": ["0x10", "-1"]}),
    ("merkle", None),
    ("compare", {"a": 3, "b": [9, 3]}),
    ("compare", {"a": 12, "b": ["5", 4]}),
]


@npm
@pytest.mark.npm
@pytest.mark.parametrize("name, inputs", CASES)
def test_wtns_byte_identical_to_snarkjs(circom_dir, name, inputs):
    inputs = merkle_inputs() if inputs is None else inputs
    (circom_dir / "input.json").write_text(json.dumps(inputs))
    ours = circom_dir / f"{name}-zk.wtns"
    result = CliRunner().invoke(cli, ["wtns", "calculate", f"{circom_dir}/{name}_js/{name}.wasm",
                                      str(circom_dir / "input.json"), str(ours)])
    assert result.exit_code == 0, result.output
    assert ours.read_bytes() == snarkjs_wtns(circom_dir, name, inputs)
    from zk.formats.circom import read_r1cs, read_wtns

    read_r1cs(circom_dir / f"{name}.r1cs").check(read_wtns(ours))


@npm
@pytest.mark.npm
def test_poseidon_witness_is_circomlibs(circom_dir):
    from zk.gadgets import poseidon

    witness = CircomWasm(circom_dir / "hash2_js" / "hash2.wasm").calculate({"inputs": [1, 2]})
    assert witness[0] == 1 and witness[1] == poseidon([1, 2])


@npm
@pytest.mark.npm
def test_failed_assert_is_one_line_naming_template_and_line(circom_dir):
    (circom_dir / "input.json").write_text(json.dumps({"a": 7, "b": [9, 3]}))
    result = CliRunner().invoke(cli, ["wtns", "calculate", f"{circom_dir}/compare_js/compare.wasm",
                                      str(circom_dir / "input.json"), str(circom_dir / "x.wtns")])
    import re

    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert re.fullmatch(r"Error: circuit assert failed in template Compare \(Compare_\d+\), line 16", line), line
    assert snarkjs_wtns(circom_dir, "compare", {"a": 7, "b": [9, 3]}) is None  # snarkjs refuses too


@npm
@pytest.mark.npm
@pytest.mark.parametrize("inputs, message", [
    ({"a": 1}, "'b' is not|not all inputs"),
    ({"a": 1, "b": [1, 2], "c": 3}, "'c' is not a signal"),
    ({"a": 1, "b": [1]}, "input b: expected 2 values, got 1"),
    ({"a": "x", "b": [1, 2]}, "not an integer|not a decimal"),
    ({"a": 21888242871839275222246405745257275088548364400416034343698204186575808495617, "b": [1, 2]}, "not below"),
    ({"lt": 1, "a": 1, "b": [1, 2]}, "'lt' is not an input signal"),
    ([1, 2], "JSON object"),
])
def test_bad_inputs_are_one_line(circom_dir, inputs, message):
    import re

    (circom_dir / "input.json").write_text(json.dumps(inputs))
    result = CliRunner().invoke(cli, ["wtns", "calculate", f"{circom_dir}/compare_js/compare.wasm",
                                      str(circom_dir / "input.json"), str(circom_dir / "x.wtns")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert re.search(message, result.output), result.output


def test_fnv_hash_is_circom_runtimes():
    # circom_runtime utils.fnvHash("in") and ("main")
    assert fnv1a64("") == 0xCBF29CE484222325
    assert f"{fnv1a64('a'):016x}" == "af63dc4c8601ec8c"


# ----------------------------------------------------------------------------- hostile modules
R_BYTES = "".join(f"\\{b:02x}" for b in (21888242871839275222246405745257275088548364400416034343698204186575808495617).to_bytes(32, "little"))


def hostile(body_init: str = "", extra: str = "", imports: str = "") -> bytes:
    import wasmtime

    wat = f"""(module
      {imports}
      (memory (export "memory") 1)
      (data (i32.const 0) "{R_BYTES}")
      (func (export "getVersion") (result i32) i32.const 2)
      (func (export "getMinorVersion") (result i32) i32.const 1)
      (func (export "getPatchVersion") (result i32) i32.const 0)
      (func (export "getSharedRWMemoryStart") (result i32) i32.const 0)
      (func (export "readSharedRWMemory") (param i32) (result i32) i32.const 0)
      (func (export "writeSharedRWMemory") (param i32 i32))
      (func (export "init") (param i32) {body_init})
      (func (export "setInputSignal") (param i32 i32 i32))
      (func (export "getInputSignalSize") (param i32 i32) (result i32) i32.const 1)
      (func (export "getRawPrime"))
      (func (export "getFieldNumLen32") (result i32) i32.const 8)
      (func (export "getWitnessSize") (result i32) i32.const 1)
      (func (export "getInputSize") (result i32) i32.const 0)
      (func (export "getWitness") (param i32))
      (func (export "getMessageChar") (result i32) i32.const 0)
      {extra}
    )"""
    return wasmtime.wat2wasm(wat)


@pytest.mark.parametrize("module, message", [
    (lambda: hostile("(loop $forever (br $forever))"), "ran out of fuel"),
    (lambda: hostile("(loop $grow (drop (memory.grow (i32.const 1024))) (br $grow))"), "ran out of fuel|trapped|memory"),
    (lambda: hostile("(drop (memory.grow (i32.const 60000))) (if (i32.eq (memory.size) (i32.const 1)) (then unreachable))"),
     "trapped"),
    (lambda: hostile("unreachable"), "trapped"),
    (lambda: hostile(imports='(import "env" "system" (func))'), "imports env.system"),
    (lambda: hostile().replace(b"getWitnessSize", b"getWitnessSizf"), "does not export getWitnessSize"),
    (lambda: hostile()[:40], "not a valid WebAssembly module"),
    (lambda: b"\x7fELF\x02\x01\x01", "not a WebAssembly module"),
])
def test_hostile_or_broken_wasm_ends_in_one_line(tmp_path, module, message):
    import re

    path = tmp_path / "bad.wasm"
    path.write_bytes(module())
    (tmp_path / "in.json").write_text("{}")
    result = CliRunner().invoke(cli, ["wtns", "calculate", str(path), str(tmp_path / "in.json"), str(tmp_path / "w.wtns"),
                                      "--fuel", "5000000", "--memory-mib", "64"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0]), result.output
    assert not (tmp_path / "w.wtns").exists()


def test_the_hostile_template_itself_runs(tmp_path):
    """Without the hostile part the same module gives a witness: each case above fails for its
    own reason, not for a mistake in the template."""
    path = tmp_path / "ok.wasm"
    path.write_bytes(hostile())
    assert len(CircomWasm(path, fuel=5_000_000, memory_limit=64 << 20).calculate({})) == 1


# ----------------------------------------------------------------------------- zk groth16 fullprove
import zk.cli.fullprove  # noqa: E402,F401  (attaches `zk groth16 fullprove`)


@pytest.fixture(scope="session")
def hash2_keys(circom_dir):
    """zk's key file, a .zkey of the same key and the snarkjs verification key, for hash2."""
    from zk import groth16
    from zk.formats.circom import read_r1cs
    from zk.formats.snarkjs import dumps, vkey_to_json
    from zk.formats.zkey import from_proving_key, write_zkey
    from zk.formats import keyfile

    pk, vk = groth16.setup(read_r1cs(circom_dir / "hash2.r1cs"))
    keyfile.save(pk, circom_dir / "hash2.pk")
    write_zkey(from_proving_key(pk), circom_dir / "hash2.zkey")
    (circom_dir / "hash2.vkey.json").write_text(dumps(vkey_to_json(vk)))
    return vk


def fullprove(d, inputs, circuit, key, *extra):
    (d / "fp.json").write_text(json.dumps(inputs))
    for name in ("proof.json", "public.json"):
        (d / name).unlink(missing_ok=True)
    return CliRunner().invoke(cli, ["groth16", "fullprove", str(d / "fp.json"), circuit, str(key),
                                    str(d / "proof.json"), str(d / "public.json"), *extra])


@npm
@pytest.mark.npm
@pytest.mark.parametrize("key, extra", [("hash2.pk", []), ("hash2.zkey", [])])
def test_fullprove_from_wasm_verifies_in_snarkjs(circom_dir, hash2_keys, key, extra):
    from zk.gadgets import poseidon

    result = fullprove(circom_dir, {"inputs": [3, 4]}, str(circom_dir / "hash2_js" / "hash2.wasm"),
                       circom_dir / key, *extra)
    assert result.exit_code == 0, result.output
    assert json.loads((circom_dir / "public.json").read_text()) == [str(poseidon([3, 4]))]
    check = run_tool("snarkjs", "groth16", "verify", "hash2.vkey.json", "public.json", "proof.json", cwd=circom_dir)
    assert check.returncode == 0 and "OK" in check.stdout


@npm
@pytest.mark.npm
def test_fullprove_refuses_what_cannot_be_proved(circom_dir, hash2_keys):
    wasm = str(circom_dir / "hash2_js" / "hash2.wasm")
    bad = fullprove(circom_dir, {"inputs": [3]}, wasm, circom_dir / "hash2.pk")
    assert bad.exit_code == 2 and "expected 2 values" in bad.output
    other = fullprove(circom_dir, {"a": 3, "b": [9, 3]}, str(circom_dir / "compare_js" / "compare.wasm"),
                      circom_dir / "hash2.pk")
    assert other.exit_code == 2 and len(other.output.strip().splitlines()) == 1
    assert not (circom_dir / "proof.json").exists()


PY_CIRCUIT = """
from zk.r1cs import Circuit, Private, Public
from zk.gadgets import poseidon_gadget


class Preimage(Circuit):
    digest = Public()
    secret = Private()

    def define(self, api):
        api.assert_range(self.secret, 64)
        api.assert_equal(poseidon_gadget(api, [self.secret]), self.digest)
"""


def test_fullprove_from_a_python_circuit(tmp_path, monkeypatch):
    from zk import groth16
    from zk.formats.snarkjs import read_proof
    from zk.gadgets import poseidon
    from zk.formats import keyfile
    from zk.r1cs import compile

    (tmp_path / "preimage_fp.py").write_text(PY_CIRCUIT)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    from preimage_fp import Preimage

    pk, vk = groth16.setup(compile(Preimage))
    keyfile.save(pk, tmp_path / "p.pk")
    result = fullprove(tmp_path, {"digest": poseidon([42]), "secret": 42}, "preimage_fp:Preimage", tmp_path / "p.pk")
    assert result.exit_code == 0, result.output
    public = [int(x) for x in json.loads((tmp_path / "public.json").read_text())]
    assert public == [poseidon([42])]
    assert groth16.verify(vk, public, read_proof(tmp_path / "proof.json"))
    wrong = fullprove(tmp_path, {"digest": poseidon([42]), "secret": 43}, "preimage_fp:Preimage", tmp_path / "p.pk")
    assert wrong.exit_code == 2 and "is not satisfied" in wrong.output
    assert len(wrong.output.strip().splitlines()) == 1

"""The ahead-of-time verifier (zk.aot, `zk aot build|status`): built once per session with
numba.pycc (about a minute of CPU), it must accept, reject and refuse exactly as the JIT path,
decide the well-formed cases itself, and be ignored, never crash, when stale or damaged."""
from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zk.cli.aot  # noqa: F401  (attaches the commands)
import zk.cli.groth16  # noqa: F401
from zk.aot import store
from zk.aot.kernel import REFUSED
from zk.aot.verifier import groth16_arrays, verify_files
from zk.cli import cli
from zk.curve import G2Point
from zk.curve.constants import B_G2
from zk.field import P, R, Fp2
from zk.formats.snarkjs import g2_to_snarkjs, proof_to_json, public_to_json, vkey_to_json
from zk.groth16 import prove, setup
from zk.perf.warmup import tiny_circuit

DATA = Path(__file__).parent / "data" / "snarkjs"
ZK = "import sys; sys.argv = ['zk', *sys.argv[1:]]; from zk.cli import main; main()"


@pytest.fixture(scope="session")
def aot_dir(tmp_path_factory):
    """The module, built by `zk aot build` in a process of its own into a private directory
    (ZK_AOT_TEST_DIR: one built before, if current, to skip the build while working on tests)."""
    reuse = os.environ.get("ZK_AOT_TEST_DIR")
    if reuse and store.status(Path(reuse))[0]:
        return Path(reuse)
    directory = tmp_path_factory.mktemp("aot") / "store"
    done = subprocess.run([sys.executable, "-c", ZK, "aot", "build"], capture_output=True, text=True,
                          env={**os.environ, "ZK_AOT_DIR": str(directory)}, timeout=1800)
    assert done.returncode == 0, done.stderr
    assert "built verify-" in done.stdout
    return directory


@pytest.fixture(scope="module")
def vectors():
    """A valid proof of the warm-up circuit (public output and input) as snarkjs JSON objects."""
    cs, witness = tiny_circuit()
    pk, vk = setup(cs)
    proof, public = prove(pk, witness)
    return {"vk": vkey_to_json(vk), "proof": proof_to_json(proof), "public": public_to_json(public)}


def _write(d: Path, files: dict) -> list[Path]:
    paths = []
    for name in ("vk", "public", "proof"):
        paths.append(d / f"{name}.json")
        paths[-1].write_text(json.dumps(files[name]))
    return paths


def _verify(paths, **env):
    """`zk verify` in this process under ``env``: (exit status, output)."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        result = CliRunner().invoke(cli, ["verify", *map(str, paths)], catch_exceptions=False)
    return result.exit_code, result.output


def _same_as_jit(paths, aot_dir):
    with_module = _verify(paths, ZK_AOT_DIR=str(aot_dir))
    assert with_module == _verify(paths, ZK_AOT="0")
    return with_module


def _twist_point_outside_g2() -> G2Point:
    x = Fp2(1, 0)
    while True:
        y = (x * x * x + B_G2).sqrt()
        if y is not None:
            point = G2Point(x, y, check=False)
            assert point.is_on_curve() and not point.is_in_subgroup()
            return point
        x = x + Fp2(1, 0)


def _off_by_one(coordinate: str) -> str:
    return str((int(coordinate) + 1) % P)


# name -> (change to the parsed files, what the module decides: True, False or None (the JIT path))
def _cases():
    outside = g2_to_snarkjs(_twist_point_outside_g2())

    def setter(path, value):
        def change(files):
            *keys, last = path
            target = files
            for key in keys:
                target = target[key]
            target[last] = value(target[last]) if callable(value) else value
        return change

    return {
        "valid": (lambda f: None, True),
        "wrong public input": (setter(("public", 1), lambda v: str(int(v) + 1)), False),
        "C replaced by alpha": (lambda f: f["proof"].__setitem__("pi_c", f["vk"]["vk_alpha_1"]), False),
        "B replaced by beta": (lambda f: f["proof"].__setitem__("pi_b", f["vk"]["vk_beta_2"]), False),
        "A and C swapped": (lambda f: f["proof"].update(pi_a=f["proof"]["pi_c"], pi_c=f["proof"]["pi_a"]), False),
        "no protocol fields in the proof": (lambda f: [f["proof"].pop(k) for k in ("protocol", "curve")], True),
        "coordinates as JSON numbers": (setter(("proof", "pi_a"), lambda p: [int(v) for v in p]), True),
        "public input + r": (setter(("public", 1), lambda v: str(int(v) + R)), None),
        "public input = r": (setter(("public", 1), str(R)), None),
        "a public input missing": (lambda f: f["public"].pop(), None),
        "public input not canonical": (setter(("public", 1), lambda v: "0" + v), None),
        "A off the curve": (setter(("proof", "pi_a", 1), _off_by_one), None),
        "C off the curve": (setter(("proof", "pi_c", 0), _off_by_one), None),
        "B off the twist": (setter(("proof", "pi_b", 1, 0), _off_by_one), None),
        "B outside G2": (setter(("proof", "pi_b"), outside), None),
        "A at infinity": (setter(("proof", "pi_a"), ["0", "1", "0"]), None),
        "A not normalised": (setter(("proof", "pi_a", 2), "2"), None),
        "coordinate >= p": (setter(("proof", "pi_a", 0), lambda v: str(int(v) + P)), None),
        "vk beta outside G2": (setter(("vk", "vk_beta_2"), outside), None),
        "vk IC[1] off the curve": (setter(("vk", "IC", 1, 1), _off_by_one), None),
        "vk delta = -gamma": (lambda f: f["vk"].__setitem__("vk_delta_2", _negated_g2(f["vk"]["vk_gamma_2"])), None),
        "vk delta = gamma": (lambda f: f["vk"].__setitem__("vk_delta_2", f["vk"]["vk_gamma_2"]), None),
        "vk IC[1] = -IC[0]": (lambda f: f["vk"]["IC"].__setitem__(1, _negated_g1(f["vk"]["IC"][0])), None),
        "vk curve bn254": (setter(("vk", "curve"), "bn254"), None),
        "proof protocol plonk": (setter(("proof", "protocol"), "plonk"), None),
        "vk nPublic wrong": (setter(("vk", "nPublic"), 3), None),
    }


def _negated_g1(point):
    return [point[0], str((P - int(point[1])) % P), point[2]]


def _negated_g2(point):
    return [point[0], [str((P - int(c)) % P) for c in point[1]], point[2]]


CASES = _cases()


@pytest.mark.parametrize("case", list(CASES))
def test_same_outcome_as_the_jit_path(case, vectors, aot_dir, tmp_path):
    change, decided = CASES[case]
    files = copy.deepcopy(vectors)
    change(files)
    paths = _write(tmp_path, files)
    assert verify_files(*paths, directory=aot_dir) is decided
    status, output = _same_as_jit(paths, aot_dir)
    if decided is not None:
        assert status == (0 if decided else 1), output
    elif case not in ("A at infinity", "vk curve bn254"):
        assert status == 2 and output.count("\n") == 1, output  # one line from the reader or verifier


def test_curve_and_subgroup_checks_run_in_the_module(vectors, aot_dir):
    """The cases the module refuses itself (not its Python filter): off the curve, outside G2."""
    module = store.load_verifier(aot_dir)
    for case in ("A off the curve", "B off the twist", "B outside G2", "vk beta outside G2", "vk IC[1] off the curve"):
        files = copy.deepcopy(vectors)
        CASES[case][0](files)
        assert module.groth16_verify(*groth16_arrays(files["vk"], files["public"], files["proof"])) == REFUSED, case


def test_snarkjs_files_decided_by_the_module(aot_dir, tmp_path):
    paths = [DATA / "verification_key.json", DATA / "public.json", DATA / "proof.json"]
    assert verify_files(*paths, directory=aot_dir) is True
    assert _same_as_jit(paths, aot_dir)[0] == 0


_LEAVES = st.sampled_from(["0", "1", "2", "01", "-1", str(P), str(R), str(P - 1), "x", "", 7])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_files_same_outcome(data, vectors, aot_dir, tmp_path):
    """One leaf of the files replaced (a neighbour of its value or an odd value): same outcome."""
    files = copy.deepcopy(vectors)
    name = data.draw(st.sampled_from(["vk", "proof", "public"]))
    leaves = []

    def walk(node, path):
        if isinstance(node, (list, dict)):
            for key in (node if isinstance(node, dict) else range(len(node))):
                walk(node[key], (*path, key))
        else:
            leaves.append(path)

    walk(files[name], ())
    path = data.draw(st.sampled_from(leaves))
    target = files[name]
    for key in path[:-1]:
        target = target[key]
    old = target[path[-1]]
    neighbour = str(int(old) + 1) if isinstance(old, str) and old.isdigit() else "1"
    target[path[-1]] = data.draw(st.one_of(st.just(neighbour), _LEAVES))
    _same_as_jit(_write(tmp_path, files), aot_dir)


def test_build_covers_every_module_it_compiles(aot_dir):
    key = store.current_key()
    manifest = json.loads(store.manifest_path(aot_dir, key).read_text())
    assert manifest["key"] == key and manifest["build_cpu_s"] > 0
    packages = {f"zk.{entry.split('/')[0]}" for entry in store.KERNEL_SOURCES}
    assert "zk.pairing.kernels" in manifest["zk_modules_imported"]  # built in a fresh process
    outside = [m for m in manifest["zk_modules_imported"]
               if m not in ("zk._lazy", "zk._numba_cache") and ".".join(m.split(".")[:2]) not in packages]
    assert not outside, f"the build compiled code from {outside}: add them to zk.aot.store.KERNEL_SOURCES"
    assert os.stat(aot_dir).st_mode & 0o777 == 0o700


def test_status(aot_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("ZK_AOT_DIR", str(aot_dir))
    result = CliRunner().invoke(cli, ["aot", "status"])
    assert result.exit_code == 0 and result.output.startswith("current: ")
    monkeypatch.setenv("ZK_AOT_DIR", str(tmp_path / "none"))
    result = CliRunner().invoke(cli, ["aot", "status"])
    assert result.exit_code == 1 and "no module built" in result.output


def _copy(aot_dir, tmp_path) -> Path:
    d = tmp_path / "copy"
    shutil.copytree(aot_dir, d)
    d.chmod(0o700)
    return d


def test_stale_sources_fall_back(vectors, aot_dir, tmp_path, monkeypatch):
    paths = _write(tmp_path, vectors)
    key = store.current_key()
    # The kernel sources as hashed now differ from the build's (one more file counts).
    monkeypatch.setattr(store, "KERNEL_SOURCES", (*store.KERNEL_SOURCES, "aot/store.py"))
    assert store.current_key() != key
    assert verify_files(*paths, directory=aot_dir) is None
    usable, line = store.status(aot_dir)
    assert not usable and line.startswith("stale")
    assert _same_as_jit(paths, aot_dir)[0] == 0


def test_truncated_module_falls_back(vectors, aot_dir, tmp_path):
    d = _copy(aot_dir, tmp_path)
    module = store.module_path(d, store.current_key())
    module.write_bytes(module.read_bytes()[: module.stat().st_size // 2])
    paths = _write(tmp_path, vectors)
    assert verify_files(*paths, directory=d) is None
    usable, line = store.status(d)
    assert not usable and line.startswith("damaged")
    assert _same_as_jit(paths, d)[0] == 0


def test_module_that_does_not_load_falls_back(vectors, aot_dir, tmp_path):
    """A file that is no extension module, under a manifest that matches it: the loader refuses
    it and the command still answers (in a process of its own, in case the loader crashed). A
    truncated ELF file under a matching manifest is not survivable (the dynamic loader maps its
    missing pages and the process dies of SIGBUS): that is what the manifest's checksum is for."""
    d = _copy(aot_dir, tmp_path)
    key = store.current_key()
    module, manifest = store.module_path(d, key), store.manifest_path(d, key)
    data = b"not an ELF file\n" * 256
    module.write_bytes(data)
    record = json.loads(manifest.read_text())
    record["sha256"] = hashlib.sha256(data).hexdigest()
    manifest.write_text(json.dumps(record))
    paths = _write(tmp_path, vectors)
    done = subprocess.run([sys.executable, "-c", ZK, "verify", *map(str, paths)], capture_output=True, text=True,
                          env={**os.environ, "ZK_AOT_DIR": str(d)})
    assert (done.returncode, done.stdout) == (0, "OK: the proof is valid\n"), done.stderr
    assert not store.status(d)[0]


def test_directory_writable_by_others_is_ignored(vectors, aot_dir, tmp_path):
    d = _copy(aot_dir, tmp_path)
    d.chmod(0o770)
    assert verify_files(*_write(tmp_path, vectors), directory=d) is None
    assert "not a private directory" in store.status(d)[1]


def test_turned_off(vectors, aot_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ZK_AOT", "0")
    assert verify_files(*_write(tmp_path, vectors), directory=aot_dir) is None


# What the process imported, reported at exit (zk.cli.main ends with os._exit after the atexit handlers).
PROBE = r"""
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["zk", *sys.argv[1:]]
from zk.cli import main
main()
"""


def test_verify_with_the_module_imports_no_numba(vectors, aot_dir, tmp_path):
    paths = _write(tmp_path, vectors)
    done = subprocess.run([sys.executable, "-c", PROBE, "verify", *map(str, paths)], capture_output=True, text=True,
                          env={**os.environ, "ZK_AOT_DIR": str(aot_dir)})
    assert (done.returncode, done.stdout) == (0, "OK: the proof is valid\n"), done.stderr
    modules = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert store.MODULE_NAME in modules
    assert not {m for m in modules if m == "numba" or m.startswith(("numba.", "llvmlite", "zk.curve", "zk.groth16"))}


def test_build_into_a_file_is_one_line_exit_2(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("ZK_AOT_DIR", str(tmp_path / "file"))
    result = CliRunner().invoke(cli, ["aot", "build"])
    assert result.exit_code == 2 and "cannot write the module" in result.output


def test_more_public_inputs_than_the_jit_kernel_takes(aot_dir, tmp_path):
    """Above zk.groth16.verify.IC_IN_KERNEL_MAX public inputs the JIT path forms the public-input
    term with an MSM; the module still forms it in the pairing kernel: same verdicts."""
    from zk.groth16.verify import IC_IN_KERNEL_MAX
    from zk.r1cs import Circuit, Output, Public, compile

    names = [f"x{i}" for i in range(IC_IN_KERNEL_MAX + 1)]

    def define(self, api):
        api.set_output(self.y, sum((getattr(self, n) * getattr(self, n) for n in names[1:]), self.x0))

    cs = compile(type("ManyInputs", (Circuit,), {"y": Output(), **{n: Public() for n in names}, "define": define}))
    pk, vk = setup(cs)
    proof, public = prove(pk, cs.solve({n: i + 2 for i, n in enumerate(names)}))
    files = {"vk": vkey_to_json(vk), "proof": proof_to_json(proof), "public": public_to_json(public)}
    assert len(files["public"]) > IC_IN_KERNEL_MAX
    for change, expected in ((None, True), (-1, False)):
        if change is not None:
            files["public"][change] = str(int(files["public"][change]) + 1)
        paths = _write(tmp_path, files)
        assert verify_files(*paths, directory=aot_dir) is expected
        assert _same_as_jit(paths, aot_dir)[0] == (0 if expected else 1)


def test_failed_build_is_one_line_exit_1(tmp_path, monkeypatch):
    import zk.aot.build

    def no_compiler(out_dir):
        raise RuntimeError("command 'gcc' failed: No such file or directory\nmore detail")

    monkeypatch.setattr(zk.aot.build, "compile_module", no_compiler)
    monkeypatch.setenv("ZK_AOT_DIR", str(tmp_path / "aot"))
    result = CliRunner().invoke(cli, ["aot", "build"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == ("Error: the build failed (RuntimeError: command 'gcc' failed: No such file "
                                              "or directory); zk verify keeps numba's JIT kernels")
    assert not list((tmp_path / "aot").iterdir())  # nothing half-built left behind

"""What a `zk verify` / `zk prove` process loads: only the modules and cached kernels of its own
path (start-up time is most of a small command's cost; docs/bench.md, "Start-up")."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from zk.formats import keyfile
from zk.formats.circom import write_wtns
from zk.formats.snarkjs import write_proof, write_public, write_vkey
from zk.groth16 import prove, setup
from zk.perf.warmup import tiny_circuit


# Runs the command as the `zk` script does (zk.cli.main) and reports, at exit, the zk modules
# and the kernels loaded from numba's cache.
PROBE = r"""
import atexit, json, sys
from numba.core import caching
loaded = []
import zk._numba_cache
zk._numba_cache.install()
original = caching.Cache.load_overload
def counting(self, sig, target_context):
    result = original(self, sig, target_context)
    loaded.append(self._py_func.__qualname__)
    return result
caching.Cache.load_overload = counting
def report():
    modules = sorted(m for m in sys.modules if m.startswith("zk"))
    print(json.dumps({"modules": modules, "kernels": loaded, "frozen": __import__("gc").get_freeze_count() > 0}),
          file=sys.stderr)
atexit.register(report)
sys.argv = ["zk", *sys.argv[1:]]
from zk.cli import main
main()
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("startup")
    cs, witness = tiny_circuit()
    pk, vk = setup(cs)
    proof, public = prove(pk, witness)
    keyfile.save(pk, d / "c.pk")
    write_vkey(vk, d / "vk.json")
    write_proof(proof, d / "proof.json")
    write_public(public, d / "public.json")
    write_wtns(witness, d / "c.wtns")
    return d


def _run(*args):
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_verify_loads_its_own_path_only(files):
    _run("verify", files / "vk.json", files / "public.json", files / "proof.json")  # warm the cache
    seen = _run("verify", files / "vk.json", files / "public.json", files / "proof.json")
    absent = {"zk.msm", "zk.poly", "zk.groth16.prove", "zk.groth16.qap", "zk.groth16.setup", "zk.pairing.api",
              "zk.pairing.fp12", "zk.r1cs", "zk.formats.keyfile"}
    assert not absent & set(seen["modules"]), absent & set(seen["modules"])
    # Decoding (Montgomery form), the G2 subgroup check of the points read, and one kernel for the
    # public-input term and the multi-pairing.
    assert sorted(seen["kernels"]) == ["_pairing_kernel", "batch_g2_subgroup_check", "to_montgomery_rows"]
    assert seen["frozen"]


def test_prove_loads_no_verifier(files, tmp_path):
    args = ("prove", files / "c.pk", files / "c.wtns", tmp_path / "p.json", tmp_path / "q.json")
    _run(*args)
    seen = _run(*args)
    absent = {"zk.pairing", "zk.groth16.verify", "zk.groth16.setup", "zk.pairing.kernels", "zk.r1cs.system"}
    assert not absent & set(seen["modules"]), absent & set(seen["modules"])
    assert json.loads((tmp_path / "q.json").read_text()) == json.loads((files / "public.json").read_text())


# Records, when numpy is first imported, what OPENBLAS_NUM_THREADS says (numpy's OpenBLAS reads it
# then and only then).
ENV_PROBE = r"""
import os, sys
seen = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" and not seen:
            seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
        return None
sys.meta_path.insert(0, Watch())
import atexit
atexit.register(lambda: print("OPENBLAS_NUM_THREADS at numpy import:", seen, file=sys.stderr))
sys.argv = ["zk", *sys.argv[1:]]
from zk.cli import main
main()
"""


@pytest.mark.parametrize("user_value", [None, "3"])
def test_openblas_threads_default_set_before_numpy_and_user_value_kept(files, user_value):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if user_value is not None:
        env["OPENBLAS_NUM_THREADS"] = user_value
    done = subprocess.run([sys.executable, "-c", ENV_PROBE, "verify", files / "vk.json", files / "public.json",
                           files / "proof.json"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    expected = user_value or "1"
    assert f"OPENBLAS_NUM_THREADS at numpy import: [{expected!r}]" in done.stderr


def test_verbose_prove_reports_start_up_and_cpu(files, tmp_path):
    done = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'zk'; from zk.cli import main; main()",
                           "prove", "-v", files / "c.pk", files / "c.wtns", tmp_path / "p.json", tmp_path / "q.json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "] started: Python, numpy, numba and zk's modules loaded (+" in lines[0]
    assert all(line.endswith(" s CPU)") for line in lines), lines
    # The first stage counts from the process's start: its wall time is at least its CPU time
    # less the clock's tick (one thread runs during the imports).
    wall, cpu = map(float, re.search(r"\(\+([0-9.]+) s, ([0-9.]+) s CPU\)$", lines[0]).groups())
    assert wall > 0 and cpu > 0 and wall >= cpu - 0.05


def test_numba_config_file_still_read_with_yaml_deferred(files, tmp_path):
    """numba reads .numba_config.yaml from the working directory; yaml, deferred in a `zk verify`
    process, then runs and the file's setting applies as without zk."""
    (tmp_path / ".numba_config.yaml").write_text("disable_performance_warnings: 1\n")
    probe = ("import atexit, sys; sys.argv = ['zk', *sys.argv[1:]]\n"
             "atexit.register(lambda: print('SETTING', __import__('numba').core.config.DISABLE_PERFORMANCE_WARNINGS, "
             "type(sys.modules['yaml']).__name__, file=sys.stderr))\n"
             "from zk.cli import main; main()")
    for cwd, expected in ((tmp_path, "SETTING 1 module"), (files, "SETTING 0 _DeferredModule")):
        done = subprocess.run([sys.executable, "-c", probe, "verify", files / "vk.json", files / "public.json",
                               files / "proof.json"], capture_output=True, text=True, cwd=cwd,
                              env={k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_PERFORMANCE_WARNINGS"})
        assert done.returncode == 0, done.stderr
        assert expected in done.stderr, done.stderr


DEFERRED_PROBE = r"""
import atexit, sys
sys.argv = ["zk", *sys.argv[1:]]
atexit.register(lambda: print("DEFERRED", [name for name in ("importlib.metadata", "yaml")
                                           if type(sys.modules.get(name)).__name__ == "_DeferredModule"], file=sys.stderr))
from zk.cli import main
main()
"""


@pytest.mark.parametrize("command", ["prove", "verify"])
def test_numba_imports_deferred_and_never_run(files, tmp_path, command):
    """numba imports importlib.metadata and yaml when it loads; a whole `zk prove` / `zk verify`
    process (kernels from the cache, no numba config file) never runs them."""
    args = [files / "c.pk", files / "c.wtns", tmp_path / "p.json", tmp_path / "q.json"] if command == "prove" else \
        [files / "vk.json", files / "public.json", files / "proof.json"]
    for _ in range(2):  # the first run may compile (numba's extension scan then runs importlib.metadata)
        done = subprocess.run([sys.executable, "-c", DEFERRED_PROBE, command, *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert "DEFERRED ['importlib.metadata', 'yaml']" in done.stderr, done.stderr


def test_key_checksum_offset_is_keyfiles():
    from zk.cli.groth16 import _KEY_CHECKSUM_START

    assert _KEY_CHECKSUM_START == keyfile.CHECKSUM_START


# Counts the digests the background checksum hands out, then runs the command as the script does.
DIGEST_PROBE = r"""
import atexit, sys
import zk._mapped
digests = []
original = zk._mapped.HashedMapping.digest
def digest(self):
    digests.append(self.start)
    return original(self)
zk._mapped.HashedMapping.digest = digest
atexit.register(lambda: print("DIGESTS", digests, file=sys.stderr))
sys.argv = ["zk", *sys.argv[1:]]
from zk.cli import main
main()
"""


@pytest.mark.parametrize("where", ["body", "last byte", "header"])
def test_corrupted_key_refused_with_checksum_in_background(files, tmp_path, where):
    data = bytearray((files / "c.pk").read_bytes())
    data[{"body": len(data) // 2, "last byte": len(data) - 1, "header": 60}[where]] ^= 0x01
    (tmp_path / "c.pk").write_bytes(bytes(data))
    done = subprocess.run([sys.executable, "-c", DIGEST_PROBE, "prove", tmp_path / "c.pk", files / "c.wtns",
                           tmp_path / "p.json", tmp_path / "q.json"], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "is corrupted: its SHA-256 checksum does not match" in done.stderr and "Traceback" not in done.stderr
    assert "DIGESTS [56]" in done.stderr  # the thread's checksum was the one compared
    assert not (tmp_path / "p.json").exists()
    intact = subprocess.run([sys.executable, "-c", DIGEST_PROBE, "prove", files / "c.pk", files / "c.wtns",
                             tmp_path / "p.json", tmp_path / "q.json"], capture_output=True, text=True)
    assert intact.returncode == 0 and "DIGESTS [56]" in intact.stderr, intact.stderr


def test_missing_key_is_one_line_with_checksum_in_background(files, tmp_path):
    done = subprocess.run([sys.executable, "-c", DIGEST_PROBE, "prove", tmp_path / "absent.pk", files / "c.wtns",
                           tmp_path / "p.json", tmp_path / "q.json"], capture_output=True, text=True)
    assert done.returncode == 2 and "cannot read proving key" in done.stderr and "Traceback" not in done.stderr

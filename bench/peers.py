"""snarkjs as the Groth16 peer: powers-of-tau cache, setup, prove and verify timings.

Two kinds of prove/verify figures:
- CLI: wall time of ``snarkjs groth16 prove|verify`` (node startup, module loading, curve
  building and file reading included: what a user of the command pays);
- in-process: a node script loads snarkjs once, reads the zkey and witness into memory, calls
  ``snarkjs.groth16.prove`` / ``verify`` several times and reports each call (the first one
  also builds the wasm curve and starts the worker threads, so it is reported apart). The
  ratios in the table use the best in-process figure, the like-for-like counterpart of our
  in-process ``zk.groth16.prove``.

The powers-of-tau files live outside the repository (``ZK_PTAU_DIR``, default
``~/.cache/zk-bench``), made once by ``scripts/prepare_ptau.sh`` (``make ptau``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNARKJS = ROOT / "node_modules" / ".bin" / "snarkjs"
SNARKJS_MODULE = ROOT / "node_modules" / "snarkjs"
PREPARE_PTAU = ROOT / "scripts" / "prepare_ptau.sh"
MAX_PTAU_POWER = 28


class PeerUnavailable(RuntimeError):
    """snarkjs, node or a powers-of-tau file is missing; the message says how to get it."""


def ptau_dir() -> Path:
    return Path(os.environ.get("ZK_PTAU_DIR") or Path.home() / ".cache" / "zk-bench")


def ptau_path(power: int) -> Path:
    return ptau_dir() / f"pot{power}_final.ptau"


def find_ptau(log_size: int) -> Path | None:
    """The smallest cached prepared ptau that covers a domain of 2^log_size (a larger one serves
    smaller circuits: snarkjs reads only the sections for the circuit's own power)."""
    for power in range(log_size, MAX_PTAU_POWER + 1):
        path = ptau_path(power)
        if path.is_file() and path.stat().st_size > 0:
            return path
    return None


def prepare_ptau(power: int, log=print) -> Path:
    """Run scripts/prepare_ptau.sh for one power (minutes: ~1 at 12, ~4 at 14, ~20 at 16)."""
    require_snarkjs()
    log(f"snarkjs: preparing powers of tau 2^{power} into {ptau_path(power)} once "
        f"(about 1 min at 12, 4 min at 14, 20 min at 16 on 2 cores) ...")
    start = time.perf_counter()
    env = dict(os.environ, ZK_PTAU_DIR=str(ptau_dir()), SNARKJS=str(SNARKJS))
    done = subprocess.run(["bash", str(PREPARE_PTAU), str(power)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise PeerUnavailable(f"preparing ptau 2^{power} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    log(f"snarkjs: ptau 2^{power} ready in {time.perf_counter() - start:.0f} s")
    return ptau_path(power)


def require_snarkjs() -> None:
    if shutil.which("node") is None:
        raise PeerUnavailable("node is not installed: snarkjs comparisons skipped")
    if not SNARKJS.exists() or not SNARKJS_MODULE.is_dir():
        raise PeerUnavailable(f"snarkjs not found at {SNARKJS}: run `make npm`")


def _run(args, what: str, timeout: float = 3600) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    seconds = time.perf_counter() - start
    # snarkjs prints errors but exits 0 on some failures ("[ERROR] snarkJS: ..."), so both count.
    if done.returncode != 0 or "[ERROR]" in done.stdout or "[ERROR]" in done.stderr:
        raise RuntimeError(f"{what} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def cli(*args: str, what: str | None = None) -> tuple[float, str]:
    """(wall seconds, stdout) of one snarkjs command."""
    return _run([str(SNARKJS), *map(str, args)], what or f"snarkjs {' '.join(map(str, args[:2]))}")


# Runs inside node. Files are read into memory first so the timed calls do no disk I/O, like
# our in-process prover working from a loaded key. Prints one JSON object on stdout.
_NODE_SCRIPT = r"""
const fs = require("fs");
const snarkjs = require(process.env.SNARKJS_MODULE);
const now = () => Number(process.hrtime.bigint()) / 1e6;  // ms
(async () => {
  const [mode, rounds, ...files] = process.argv.slice(1);  // node -e: no script path in argv
  const n = parseInt(rounds, 10);
  const out = { mode, calls_ms: [] };
  if (mode === "prove") {
    const zkey = { type: "mem", data: new Uint8Array(fs.readFileSync(files[0])) };
    const wtns = { type: "mem", data: new Uint8Array(fs.readFileSync(files[1])) };
    for (let i = 0; i < n; i++) {
      const t = now();
      const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, wtns);
      out.calls_ms.push(now() - t);
      out.proof = proof; out.publicSignals = publicSignals;
    }
  } else if (mode === "verify") {
    const vk = JSON.parse(fs.readFileSync(files[0]));
    const pub = JSON.parse(fs.readFileSync(files[1]));
    const proof = JSON.parse(fs.readFileSync(files[2]));
    const batch = parseInt(files[3] || "1", 10);
    out.ok = true;
    for (let i = 0; i < n; i++) {
      const t = now();
      for (let j = 0; j < batch; j++) out.ok = (await snarkjs.groth16.verify(vk, pub, proof)) && out.ok;
      out.calls_ms.push(now() - t);
    }
  } else throw new Error("unknown mode " + mode);
  out.max_rss_kb = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);  // the curve's worker threads would keep node alive
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
"""


@dataclass
class InProcess:
    calls_s: list[float]  # every call, first one included (curve build + worker start)
    max_rss_kb: int
    result: dict

    @property
    def first_s(self) -> float:
        return self.calls_s[0]

    @property
    def best_s(self) -> float:
        """Best call after the first (or the only call when there was one)."""
        warm = self.calls_s[1:] or self.calls_s
        return min(warm)


def _node(mode: str, rounds: int, *files) -> InProcess:
    require_snarkjs()
    env = dict(os.environ, SNARKJS_MODULE=str(SNARKJS_MODULE))
    done = subprocess.run(["node", "-e", _NODE_SCRIPT, "--", mode, str(rounds), *map(str, files)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"snarkjs in-process {mode} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return InProcess([ms / 1e3 for ms in result.pop("calls_ms")], int(result.pop("max_rss_kb")), result)


@dataclass
class SnarkjsRun:
    """snarkjs figures for one circuit, all in seconds."""

    setup_s: float  # groth16 setup + one zkey contribution
    contribute_s: float
    vkey_export_s: float
    prove_cli_s: float
    verify_cli_s: float
    prove: InProcess
    verify: InProcess
    zkey: Path
    vkey: Path
    proof: Path
    public: Path


def run_circuit(r1cs: Path, wtns: Path, ptau: Path, workdir: Path, prove_rounds: int = 3,
                verify_rounds: int = 20) -> SnarkjsRun:
    """groth16 setup on ``ptau``, zkey -> vkey, CLI prove + verify, in-process prove + verify."""
    workdir.mkdir(parents=True, exist_ok=True)
    stem = workdir / r1cs.stem
    zkey0, zkey = stem.with_suffix(".0000.zkey"), stem.with_suffix(".zkey")
    vkey = stem.with_suffix(".vkey.json")
    proof, public = stem.with_suffix(".proof.json"), stem.with_suffix(".public.json")
    setup_s, _ = cli("groth16", "setup", r1cs, ptau, zkey0)
    # Without one phase-2 contribution delta = gamma = 1 and the key accepts forged proofs (our
    # verifier refuses such keys); it is also what our setup does, so it counts as setup time.
    entropy = os.urandom(32).hex()
    contribute_s, _ = cli("zkey", "contribute", zkey0, zkey, "--name=zk-bench", f"-e={entropy}")
    vkey_s, _ = cli("zkey", "export", "verificationkey", zkey, vkey)
    prove_cli_s, _ = cli("groth16", "prove", zkey, wtns, proof, public)
    verify_cli_s, out = cli("groth16", "verify", vkey, public, proof)
    if "OK" not in out:
        raise RuntimeError(f"snarkjs rejected its own proof for {r1cs.name}:\n{out}")
    prove = _node("prove", prove_rounds, zkey, wtns)
    verify = _node("verify", verify_rounds, vkey, public, proof)
    if not verify.result.get("ok"):
        raise RuntimeError(f"snarkjs in-process verify rejected the proof for {r1cs.name}")
    return SnarkjsRun(setup_s + contribute_s, contribute_s, vkey_s, prove_cli_s, verify_cli_s, prove, verify,
                      zkey, vkey, proof, public)


def verify_many(vkey: Path, public: Path, proof: Path, count: int, rounds: int = 3) -> InProcess:
    """``count`` successive in-process verifications per round (snarkjs has no batch verifier)."""
    result = _node("verify", rounds, vkey, public, proof, count)
    if not result.result.get("ok"):
        raise RuntimeError("snarkjs rejected a proof in the verification loop")
    return result


def verify_json(vkey: Path, public: Path, proof: Path) -> bool:
    """snarkjs's verdict on (possibly our) JSON proof files."""
    done = subprocess.run([str(SNARKJS), "groth16", "verify", str(vkey), str(public), str(proof)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    return done.returncode == 0 and "OK" in done.stdout

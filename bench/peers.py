"""snarkjs as the Groth16 peer: powers-of-tau cache, setup, prove and verify timings.

Two kinds of prove/verify figures:
- CLI: wall time of ``snarkjs groth16 prove|verify`` (node startup, module loading, curve
  building and file reading included: what a user of the command pays);
- in-process (:class:`NodePeer`): a node process loads snarkjs, the zkey and the witness once,
  then times each ``snarkjs.groth16.prove`` / ``verify`` call it is asked for (the first one
  also builds the wasm curve and starts the worker threads, so the bench reports it apart).
  The bench alternates these calls with ours so both see the same load on a shared machine,
  and its ratios use the best in-process figure, the counterpart of our in-process
  ``zk.groth16.prove``.

The powers-of-tau files live outside the repository (``ZK_PTAU_DIR``, default
``~/.cache/zk-bench``), made once by ``scripts/prepare_ptau.sh`` (``make ptau``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
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
    """Run scripts/prepare_ptau.sh for one power (here, under load: 287 s at 12, 3621 s at 16)."""
    require_snarkjs()
    log(f"snarkjs: preparing powers of tau 2^{power} into {ptau_path(power)} once "
        f"(on 2 cores: 1-5 min at 12, ~4 min at 14, 20-60 min at 16, longer under load) ...")
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


# A small node server: loads snarkjs and the files once, then answers one JSON line per command
# ("prove", "verify N", "rss"), so the bench can interleave snarkjs calls with ours and both see
# the same machine load (the machine is shared). Files are held in memory: the timed calls do
# no disk I/O, like our in-process prover working from a loaded key.
_NODE_SERVER = r"""
const fs = require("fs");
const readline = require("readline");
const snarkjs = require(process.env.SNARKJS_MODULE);
const now = () => Number(process.hrtime.bigint()) / 1e6;  // ms
const [zkeyPath, wtnsPath, vkPath, pubPath, proofPath] = process.argv.slice(1);  // node -e: no script path
const zkey = { type: "mem", data: new Uint8Array(fs.readFileSync(zkeyPath)) };
const wtns = { type: "mem", data: new Uint8Array(fs.readFileSync(wtnsPath)) };
const vk = JSON.parse(fs.readFileSync(vkPath));
const pub = JSON.parse(fs.readFileSync(pubPath));
const proof = JSON.parse(fs.readFileSync(proofPath));
const reply = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on("line", (line) => { queue = queue.then(() => handle(line.trim())); });
rl.on("close", () => queue.then(() => process.exit(0)));  // worker threads would keep node alive
async function handle(line) {
  try {
    const [cmd, arg] = line.split(" ");
    if (cmd === "prove") {
      const t = now();
      const out = await snarkjs.groth16.prove(zkey, wtns);
      const ms = now() - t;
      reply({ ms, public: out.publicSignals });
    } else if (cmd === "verify") {
      const count = parseInt(arg || "1", 10);
      let ok = true;
      const t = now();
      for (let i = 0; i < count; i++) ok = (await snarkjs.groth16.verify(vk, pub, proof)) && ok;
      reply({ ms: now() - t, ok });
    } else if (cmd === "rss") {
      reply({ max_rss_kb: process.resourceUsage().maxRSS });
    } else {
      reply({ error: "unknown command " + cmd });
    }
  } catch (e) {
    reply({ error: String(e && e.stack || e) });
  }
}
reply({ ready: true });
"""


class NodePeer:
    """snarkjs in a long-lived node process; each call returns its in-process time in seconds.
    The first prove/verify also builds the wasm curve and starts the worker threads."""

    def __init__(self, zkey: Path, wtns: Path, vkey: Path, public: Path, proof: Path):
        require_snarkjs()
        env = dict(os.environ, SNARKJS_MODULE=str(SNARKJS_MODULE))
        # stderr to a file: a pipe nobody reads could fill up and stall node.
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self._proc = subprocess.Popen(["node", "-e", _NODE_SERVER, "--", *map(str, (zkey, wtns, vkey, public, proof))],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                      text=True, env=env, cwd=ROOT)
        self._read()

    def _read(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait(timeout=10)
            self._stderr.seek(0)
            raise RuntimeError(f"snarkjs node process died:\n{self._stderr.read()[-3000:]}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"snarkjs in-process call failed: {reply['error']}")
        return reply

    def _ask(self, command: str) -> dict:
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return self._read()

    def prove(self) -> float:
        return self._ask("prove")["ms"] / 1e3

    def verify(self, count: int = 1) -> float:
        reply = self._ask(f"verify {count}")
        if not reply["ok"]:
            raise RuntimeError("snarkjs in-process verify rejected the proof")
        return reply["ms"] / 1e3

    def max_rss_kb(self) -> int:
        return int(self._ask("rss")["max_rss_kb"])

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()
        self._stderr.close()

    def __enter__(self) -> "NodePeer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class SnarkjsRun:
    """snarkjs figures for one circuit, all in seconds."""

    setup_s: float  # groth16 setup + one zkey contribution
    contribute_s: float
    setup_reused: bool  # the zkey and setup times come from the cache (an earlier run)
    vkey_export_s: float
    prove_cli_s: float
    verify_cli_s: float
    zkey: Path
    vkey: Path
    proof: Path
    public: Path

    def peer(self, wtns: Path) -> NodePeer:
        """snarkjs in-process on this key, witness and (CLI-made) proof."""
        return NodePeer(self.zkey, wtns, self.vkey, self.public, self.proof)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _snarkjs_setup(r1cs: Path, ptau: Path, zkey: Path, reuse: bool) -> tuple[float, float, bool]:
    """(setup s, contribute s, reused): ``groth16 setup`` + one contribution into ``zkey``.

    snarkjs's setup does, per wire, a multi-exponentiation of Lagrange points by that wire's
    coefficients, so circuits with many full-size coefficients take long (the Poseidon chain:
    90 s at 2^14 and 343 s at 2^16 on a quiet 2-core machine, vs 7 s and 23 s for ``mul``,
    whose coefficients are 1). The zkey and its measured times are kept in the ptau cache, keyed
    by the .r1cs contents and the ptau's name (a fresh measurement replaces them); with ``reuse`` a cached
    key is used and its times are reported."""
    cache_dir = ptau_dir() / "zkeys"
    key = f"{_sha256(r1cs)[:20]}-{ptau.stem}"
    cached, meta_path = cache_dir / f"{key}.zkey", cache_dir / f"{key}.json"
    if reuse and cached.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        shutil.copyfile(cached, zkey)
        return meta["setup_s"], meta["contribute_s"], True
    zkey0 = zkey.with_suffix(".0000.zkey")
    setup_s, _ = cli("groth16", "setup", r1cs, ptau, zkey0)
    # Without one phase-2 contribution delta = gamma = 1 and the key accepts forged proofs (our
    # verifier refuses such keys); it is also what our setup does, so it counts as setup time.
    entropy = os.urandom(32).hex()
    contribute_s, _ = cli("zkey", "contribute", zkey0, zkey, "--name=zk-bench", f"-e={entropy}")
    zkey0.unlink()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    shutil.copyfile(zkey, tmp)
    tmp.replace(cached)
    meta_path.write_text(json.dumps({"setup_s": setup_s, "contribute_s": contribute_s, "r1cs": r1cs.name,
                                     "ptau": ptau.name, "measured": time.strftime("%Y-%m-%d %H:%M:%S")}))
    return setup_s, contribute_s, False


def run_circuit(r1cs: Path, wtns: Path, ptau: Path, workdir: Path, reuse_setup: bool = True) -> SnarkjsRun:
    """groth16 setup on ``ptau`` + one contribution (or the cached key), zkey -> vkey, CLI prove +
    verify. For the in-process figures open :meth:`SnarkjsRun.peer` on the files this returns."""
    workdir.mkdir(parents=True, exist_ok=True)
    stem = workdir / r1cs.stem
    zkey, vkey = stem.with_suffix(".zkey"), stem.with_suffix(".vkey.json")
    proof, public = stem.with_suffix(".proof.json"), stem.with_suffix(".public.json")
    setup_s, contribute_s, reused = _snarkjs_setup(r1cs, ptau, zkey, reuse_setup)
    vkey_s, _ = cli("zkey", "export", "verificationkey", zkey, vkey)
    prove_cli_s, _ = cli("groth16", "prove", zkey, wtns, proof, public)
    verify_cli_s, out = cli("groth16", "verify", vkey, public, proof)
    if "OK" not in out:
        raise RuntimeError(f"snarkjs rejected its own proof for {r1cs.name}:\n{out}")
    return SnarkjsRun(setup_s + contribute_s, contribute_s, reused, vkey_s, prove_cli_s, verify_cli_s,
                      zkey, vkey, proof, public)


def verify_json(vkey: Path, public: Path, proof: Path) -> bool:
    """snarkjs's verdict on (possibly our) JSON proof files."""
    done = subprocess.run([str(SNARKJS), "groth16", "verify", str(vkey), str(public), str(proof)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    return done.returncode == 0 and "OK" in done.stdout

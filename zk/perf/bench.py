"""Setup / prove / verify figures for one circuit, ours beside snarkjs and rapidsnark.

All runs use the same ``.r1cs`` and ``.wtns`` files, written into a working directory. Ours are
measured twice: in-process (what a long-lived program or ``zk serve`` pays) and as whole ``zk``
processes (what a command-line user waits for, start-up included, with the process's peak RSS).
The peers run as whole processes: snarkjs when node and snarkjs are installed and a zkey is at
hand, rapidsnark when ``RAPIDSNARK`` names its ``prover`` binary. The peers' zkey is the one
given, or one snarkjs makes from a powers-of-tau file, or else our own key written as a .zkey
(:func:`zk.formats.zkey.from_proving_key`): then all provers use the very same key, which also
works at sizes where snarkjs's own setup would take hours. Every peer's proof is checked with
our verifier.
The machine's load average is recorded with the figures: on a shared machine compare ratios.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

from .process import run_measured


class BenchError(RuntimeError):
    """A step of the benchmark failed (a peer's command, a proof that did not verify)."""


def zk_command() -> list[str]:
    """How to start our own CLI as a separate process: the ``zk`` script beside this Python."""
    script = Path(sys.executable).with_name("zk")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from zk.cli import main; main()"]


def find_snarkjs() -> str | None:
    candidate = os.environ.get("SNARKJS") or str(Path.cwd() / "node_modules" / ".bin" / "snarkjs")
    if shutil.which("node") and Path(candidate).exists():
        return candidate
    return None


def _best(values: list):
    values = [v for v in values if v is not None]
    return min(values) if values else None


def _checked(measured, what: str):
    # snarkjs prints "[ERROR]" and exits 0 on some failures: both count as failures.
    if measured.returncode != 0 or "[ERROR]" in measured.stdout or "[ERROR]" in measured.stderr:
        raise BenchError(f"{what} failed (exit {measured.returncode}): {(measured.stderr or measured.stdout).strip()[-500:]}")
    return measured


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def bench_circuit(cs, witness: list[int], workdir: Path, *, rounds: int = 3, zkey: Path | None = None,
                  ptau: Path | None = None, rapidsnark: str | None = None, snarkjs: str | None = None,
                  cli_rounds: int = 2, peers: bool = True, log: Callable[[str], None] | None = None) -> dict:
    """Measure one circuit; returns a JSON-ready dict (seconds, MiB). With ``cs`` None the
    circuit is the ``zkey`` itself: no setup is timed, and every prover uses that key."""
    from zk.formats import zkey as zkey_format
    from zk.formats.circom import write_r1cs, write_wtns
    from zk.formats.snarkjs import read_proof, read_public, write_proof, write_public, write_vkey
    from zk.formats import keyfile
    from zk.groth16 import prove, setup, verify

    say = log or (lambda _line: None)
    workdir.mkdir(parents=True, exist_ok=True)
    r1cs, wtns = workdir / "circuit.r1cs", workdir / "witness.wtns"
    write_wtns(witness, wtns)
    result: dict = {"load_average": list(os.getloadavg()), "rounds": rounds, "zk": {}, "peers": {}}
    zk: dict = result["zk"]
    if cs is not None:
        write_r1cs(cs, r1cs)
        say("zk: setup")
        zk["setup_s"], (pk, vk) = _timed(setup, cs)
    else:
        pk = zkey_format.to_proving_key(zkey_format.read_zkey(zkey))
        vk = pk.vk
    result.update(constraints=pk.matrices.n_constraints, wires=pk.n_wires, public=pk.matrices.n_public,
                  domain=pk.matrices.domain_size)
    pk_path, vk_path = workdir / "circuit.pk", workdir / "verification_key.json"
    keyfile.save(pk, pk_path)
    write_vkey(vk, vk_path)

    say("zk: prove in-process")
    prove(pk, witness)  # the first call in a process loads the kernels: not part of a proof
    times, proof, public = [], None, None
    for _ in range(rounds):
        t, (proof, public) = _timed(prove, pk, witness)
        times.append(t)
    zk["prove_s"] = _best(times)
    zk["prove_median_s"] = statistics.median(times)
    zk["verify_s"] = _best([_timed(verify, vk, public, proof)[0] for _ in range(rounds)])
    cpu = time.process_time()
    prove(pk, witness)
    zk["prove_cpu_s"] = time.process_time() - cpu
    proof_path, public_path = workdir / "proof.json", workdir / "public.json"
    write_proof(proof, proof_path)
    write_public(public, public_path)

    say("zk: prove and verify as whole processes")
    cmd = zk_command()
    runs = [_checked(run_measured([*cmd, "prove", str(pk_path), str(wtns), str(workdir / "cli_proof.json"),
                                   str(workdir / "cli_public.json")]), "zk prove") for _ in range(cli_rounds)]
    zk["prove_cli_s"] = _best([m.seconds for m in runs])
    zk["prove_cli_cpu_s"] = _best([m.cpu_s for m in runs if m.cpu_s is not None] or [None])
    zk["prove_cli_rss_mib"] = max((m.peak_rss_mib or 0) for m in runs) or None
    runs = [_checked(run_measured([*cmd, "verify", str(vk_path), str(public_path), str(proof_path)]), "zk verify")
            for _ in range(cli_rounds)]
    zk["verify_cli_s"] = _best([m.seconds for m in runs])
    zk["verify_cli_cpu_s"] = _best([m.cpu_s for m in runs if m.cpu_s is not None] or [None])
    zk["verify_cli_rss_mib"] = max((m.peak_rss_mib or 0) for m in runs) or None
    if not peers:
        result["load_average_after"] = list(os.getloadavg())
        return result

    snarkjs = find_snarkjs() if snarkjs is None else (snarkjs or None)  # "" leaves snarkjs out
    if zkey is None and ptau is None:
        say("zk: our key as a .zkey for the peers")
        try:
            zkey_format.write_zkey(zkey_format.from_proving_key(pk), workdir / "circuit.zkey")
        except Exception as exc:  # noqa: BLE001 - a converter failure skips the peers, not our figures
            result["peers_skipped"] = f"could not write our key as a .zkey ({type(exc).__name__}: {exc})"
            result["load_average_after"] = list(os.getloadavg())
            return result
        zkey = workdir / "circuit.zkey"
        result["peers_key"] = "zk setup written as .zkey"
    elif zkey is None:
        result["peers_key"] = "snarkjs setup from " + ptau.name
    else:
        result["peers_key"] = zkey.name
    del pk

    if zkey is None and ptau is not None and snarkjs:
        say("snarkjs: groth16 setup + one contribution (for the peers' key)")
        zkey0, zkey = workdir / "circuit_0000.zkey", workdir / "circuit.zkey"
        setup_run = _checked(run_measured([snarkjs, "groth16", "setup", str(r1cs), str(ptau), str(zkey0)]), "snarkjs groth16 setup")
        contribute = _checked(run_measured([snarkjs, "zkey", "contribute", str(zkey0), str(zkey), "--name=zk-bench",
                                            f"-e={os.urandom(16).hex()}"]), "snarkjs zkey contribute")
        result["peers"]["snarkjs"] = {"setup_s": setup_run.seconds + contribute.seconds}
    peer_vk = None
    peer_vk_path = workdir / "peer_verification_key.json"
    if zkey is not None:
        # Our own key converted has no snarkjs contribution record, but its delta is random.
        ours = result["peers_key"].startswith("zk setup")
        peer_vk = zkey_format.verifying_key(zkey_format.read_zkey(zkey, points=False), insecure_dev_key=ours)
        write_vkey(peer_vk, peer_vk_path)

    def check_peer(name: str, proof_file: Path, public_file: Path) -> None:
        if peer_vk is None:
            return
        if not verify(peer_vk, read_public(public_file), read_proof(proof_file)):
            raise BenchError(f"{name}'s proof does not verify under the zkey's verification key")

    if zkey is not None and snarkjs:
        say("snarkjs: prove and verify")
        entry = result["peers"].setdefault("snarkjs", {})
        runs = [_checked(run_measured([snarkjs, "groth16", "prove", str(zkey), str(wtns), str(workdir / "snarkjs_proof.json"),
                                       str(workdir / "snarkjs_public.json")]), "snarkjs groth16 prove") for _ in range(cli_rounds)]
        entry["prove_cli_s"] = _best([m.seconds for m in runs])
        entry["prove_cli_cpu_s"] = _best([m.cpu_s for m in runs if m.cpu_s is not None] or [None])
        entry["prove_cli_rss_mib"] = max((m.peak_rss_mib or 0) for m in runs) or None
        check_peer("snarkjs", workdir / "snarkjs_proof.json", workdir / "snarkjs_public.json")
        runs = [_checked(run_measured([snarkjs, "groth16", "verify", str(peer_vk_path),
                                       str(workdir / "snarkjs_public.json"), str(workdir / "snarkjs_proof.json")]),
                         "snarkjs groth16 verify") for _ in range(cli_rounds)]
        entry["verify_cli_s"] = _best([m.seconds for m in runs])

    rapidsnark = rapidsnark or os.environ.get("RAPIDSNARK")
    if rapidsnark and zkey is not None:
        say("rapidsnark: prove")
        runs = [_checked(run_measured([rapidsnark, str(zkey), str(wtns), str(workdir / "rapidsnark_proof.json"),
                                       str(workdir / "rapidsnark_public.json")]), "rapidsnark") for _ in range(max(cli_rounds, rounds))]
        result["peers"]["rapidsnark"] = {"prove_cli_s": _best([m.seconds for m in runs]),
                                         "prove_cli_cpu_s": _best([m.cpu_s for m in runs if m.cpu_s is not None] or [None]),
                                         "prove_cli_rss_mib": max((m.peak_rss_mib or 0) for m in runs) or None}
        check_peer("rapidsnark", workdir / "rapidsnark_proof.json", workdir / "rapidsnark_public.json")
    result["load_average_after"] = list(os.getloadavg())
    return result


def format_table(result: dict) -> str:
    """A plain-text summary; ratios are ours / peer's (below 1: we are faster)."""
    def s(x):
        return "-" if x is None else (f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s")

    def mib(x):
        return "-" if not x else f"{x:.0f} MiB"

    zk = result["zk"]
    lines = [
        f"circuit: {result['constraints']} constraints, {result['wires']} wires, {result['public']} public, domain {result.get('domain')}"
        + (f"; peers' key: {result['peers_key']}" if result.get("peers_key") else ""),
        f"load average: {result['load_average'][0]:.2f} before, {result['load_average_after'][0]:.2f} after",
        f"{'':12} {'setup':>10} {'prove':>10} {'prove CLI':>10} {'peak RSS':>9} {'verify':>10} {'verify CLI':>10}",
        f"{'zk':12} {s(zk.get('setup_s')):>10} {s(zk['prove_s']):>10} {s(zk['prove_cli_s']):>10} {mib(zk['prove_cli_rss_mib']):>9} "
        f"{s(zk['verify_s']):>10} {s(zk['verify_cli_s']):>10}",
        f"{'':12} CPU: prove in-process {s(zk.get('prove_cpu_s'))}, prove CLI {s(zk.get('prove_cli_cpu_s'))}, "
        f"verify CLI {s(zk.get('verify_cli_cpu_s'))}",
    ]
    if result.get("peers_skipped"):
        lines.append(f"peers skipped: {result['peers_skipped']}")
    for name, peer in result["peers"].items():
        lines.append(f"{name:12} {s(peer.get('setup_s')):>10} {'-':>10} {s(peer.get('prove_cli_s')):>10} "
                     f"{mib(peer.get('prove_cli_rss_mib')):>9} {'-':>10} {s(peer.get('verify_cli_s')):>10}")
        if peer.get("prove_cli_cpu_s"):
            lines.append(f"{'':12} CPU: prove CLI {s(peer['prove_cli_cpu_s'])}")
        if peer.get("prove_cli_s"):
            lines.append(f"{'':12} zk prove CLI / {name}: {zk['prove_cli_s'] / peer['prove_cli_s']:.2f}x, "
                         f"zk in-process / {name}: {zk['prove_s'] / peer['prove_cli_s']:.2f}x")
    return "\n".join(lines)


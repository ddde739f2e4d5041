"""Run Solidity contracts in a real EVM from Python: solc (solcjs) + @ethereumjs/evm under node.

One call to :func:`run_evm` starts one node process that compiles every contract, deploys each into
a fresh in-memory EVM (Prague rules, EIP-1108 precompile prices) and runs the calls in order; node
and solc start-up (a few seconds) is paid once per job, so batch the calls.

    from evm.runner import Call, run_evm, verify_on_evm
    results = verify_on_evm(vk_json, [(public_json, proof_json), ...])
    assert all(r.verified for r in results)

Needs the npm packages ``solc`` and ``@ethereumjs/evm`` (+ ``@ethereumjs/common``,
``@ethereumjs/util``) in node_modules (``make npm``); :func:`evm_available` says whether they are.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any, Sequence

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = pathlib.Path(__file__).resolve().parent / "evm_runner.cjs"
NODE_MODULES = pathlib.Path(os.environ.get("ZK_EVM_NODE_MODULES", ROOT / "node_modules"))
REQUIRED_PACKAGES = ("solc", "@ethereumjs/evm", "@ethereumjs/common", "@ethereumjs/util")

TRUE_WORD = "0x" + "00" * 31 + "01"
FALSE_WORD = "0x" + "00" * 32


class EVMRunError(RuntimeError):
    """The node runner failed (compile error, deployment failure, bad job)."""


def evm_available() -> bool:
    return shutil.which("node") is not None and all((NODE_MODULES / name / "package.json").exists() for name in REQUIRED_PACKAGES)


@dataclass(frozen=True)
class Call:
    to: str
    words: Sequence[int] = ()
    function: str = "verifyProof"
    data: str | None = None  # raw calldata (hex) instead of function + words
    gas: int = 10_000_000
    truncate: int = 0  # drop this many bytes from the end of the calldata

    def to_json(self) -> dict:
        job: dict[str, Any] = {"to": self.to, "gas": self.gas, "truncate": self.truncate}
        if self.data is not None:
            job["data"] = self.data
        else:
            job["function"] = self.function
            job["words"] = [hex(int(w)) for w in self.words]
        return job


@dataclass(frozen=True)
class CallResult:
    reverted: bool
    error: str | None
    return_data: str
    gas_used: int  # execution gas: no 21000 intrinsic cost, no calldata cost

    @property
    def returned_true(self) -> bool:
        return not self.reverted and self.return_data == TRUE_WORD

    @property
    def returned_false(self) -> bool:
        return not self.reverted and self.return_data == FALSE_WORD


@dataclass
class EVMRun:
    compiler: str
    hardfork: str
    contracts: dict[str, dict]
    calls: list[CallResult] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)  # solc warnings per contract label


def run_evm(contracts: dict[str, tuple[str, str]], calls: Sequence[Call], *, optimizer_runs: int | None = 200,
            via_ir: bool = False, timeout: float = 600) -> EVMRun:
    """Compile ``contracts`` ({label: (source, contract name)}), deploy them and run ``calls``."""
    if not evm_available():
        raise EVMRunError(f"node or the npm packages {', '.join(REQUIRED_PACKAGES)} are missing from {NODE_MODULES}")
    job = {
        "contracts": {label: {"source": source, "contract": name} for label, (source, name) in contracts.items()},
        "optimizer_runs": optimizer_runs,
        "via_ir": via_ir,
        "calls": [call.to_json() for call in calls],
    }
    env = dict(os.environ, NODE_PATH=str(NODE_MODULES))
    proc = subprocess.run(["node", str(SCRIPT)], input=json.dumps(job), capture_output=True, text=True,
                          timeout=timeout, env=env)
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise EVMRunError(f"EVM runner failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}") from None
    if proc.returncode != 0 or "fatal" in out:
        raise EVMRunError(out.get("fatal", proc.stderr))
    return EVMRun(out["compiler"], out["hardfork"], out["contracts"], [CallResult(**c) for c in out["calls"]],
                  out.get("warnings", {}))


def verify_on_evm(vk_json: dict, proofs: Sequence[tuple[Any, Any]], **generator_options) -> list[CallResult]:
    """Export a verifier for ``vk_json``, deploy it and call ``verifyProof`` once per
    (public_json, proof_json) pair; ``CallResult.returned_true`` is the verdict."""
    from zk.formats.solidity import CONTRACT_NAME, calldata_words, solidity_verifier

    source = solidity_verifier(vk_json, **generator_options)
    calls = [Call("verifier", calldata_words(public, proof)) for public, proof in proofs]
    return run_evm({"verifier": (source, CONTRACT_NAME)}, calls).calls

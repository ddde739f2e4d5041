"""Compile Solidity with the solc npm peer (solcjs, pinned in package.json) from Python.

    contracts = compile_solidity({"Tree.sol": source})
    contracts["TreeHarness"].abi, contracts["TreeHarness"].bytecode, contracts["TreeHarness"].runtime_size

Imports such as ``@openzeppelin/contracts/token/ERC20/ERC20.sol`` resolve against node_modules.
Results are cached on the exact sources, settings and compiler version, per process and on disk
(``.solc_cache/`` in the repository, or ``$ZK_SOLC_CACHE``): solcjs takes about ten seconds for
a contract with an unrolled Poseidon, so a test session compiles each set of contracts once and
later sessions not at all.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

ROOT = pathlib.Path(__file__).resolve().parents[2]
NODE_MODULES = pathlib.Path(os.environ.get("ZK_NODE_MODULES", ROOT / "node_modules"))
SCRIPT = pathlib.Path(__file__).resolve().with_name("solc_compile.cjs")
CACHE = pathlib.Path(os.environ.get("ZK_SOLC_CACHE", ROOT / ".solc_cache"))
EVM_VERSION = "prague"
# EIP-170: the largest runtime code a contract may deploy.
MAX_RUNTIME_SIZE = 24_576


class SolcError(RuntimeError):
    """solc refused the sources, or node / the solc npm package is missing."""


@dataclass(frozen=True)
class CompiledContract:
    name: str
    abi: list
    bytecode: str  # creation code, hex without 0x
    runtime: str  # deployed code, hex without 0x

    @property
    def runtime_size(self) -> int:
        return len(self.runtime) // 2


def solc_available() -> bool:
    return shutil.which("node") is not None and (NODE_MODULES / "solc" / "package.json").exists()


# The optimizer tuned for execution: with a low `runs` solc encodes large constants as
# computations to save code bytes, which makes the unrolled Poseidon about 25% dearer
# (16,299 against 12,935 gas for two inputs) for 12% less code.
OPTIMIZER_RUNS = 1_000_000


def compile_solidity(sources: Mapping[str, str], *, optimizer_runs: int | None = OPTIMIZER_RUNS,
                     via_ir: bool = False) -> dict[str, CompiledContract]:
    """{contract name: CompiledContract} for every contract, library and interface in ``sources``
    ({file name: source}); a name defined twice is an error."""
    return dict(_compile(json.dumps(dict(sorted(sources.items()))), optimizer_runs, via_ir))


@lru_cache(maxsize=64)
def _compile(sources_json: str, optimizer_runs: int | None, via_ir: bool) -> tuple[tuple[str, CompiledContract], ...]:
    if not solc_available():
        raise SolcError(f"node or the solc npm package is missing from {NODE_MODULES} (run `make npm`)")
    sources = json.loads(sources_json)
    job = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "optimizer": {"enabled": False} if optimizer_runs is None else {"enabled": True, "runs": optimizer_runs},
            "evmVersion": EVM_VERSION,
            "viaIR": via_ir,
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }
    text = json.dumps(job, sort_keys=True)
    version = json.loads((NODE_MODULES / "solc" / "package.json").read_text())["version"]
    cached = CACHE / f"{hashlib.sha256((version + text).encode()).hexdigest()}.json"
    try:
        output = json.loads(cached.read_text())
    except (OSError, ValueError):
        output = _run_solc(text)
        if not any(e["severity"] == "error" for e in output.get("errors", [])):
            CACHE.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(output))
            partial.replace(cached)
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise SolcError("solc: " + "\n".join(errors))
    contracts: dict[str, CompiledContract] = {}
    for file_name, units in output.get("contracts", {}).items():
        for name, unit in units.items():
            if file_name not in sources:
                continue  # an imported file: its contracts come back under their own file name
            if name in contracts:
                raise SolcError(f"contract {name} is defined twice")
            contracts[name] = CompiledContract(name, unit["abi"], unit["evm"]["bytecode"]["object"],
                                               unit["evm"]["deployedBytecode"]["object"])
    for file_name, units in output.get("contracts", {}).items():
        for name, unit in units.items():
            if file_name not in sources and name not in contracts:
                contracts[name] = CompiledContract(name, unit["abi"], unit["evm"]["bytecode"]["object"],
                                                   unit["evm"]["deployedBytecode"]["object"])
    return tuple(contracts.items())


def _run_solc(job: str) -> dict:
    proc = subprocess.run(["node", str(SCRIPT)], input=job, capture_output=True, text=True,
                          env=dict(os.environ, NODE_PATH=str(NODE_MODULES)), timeout=600)
    try:
        return json.loads(proc.stdout)["output"]
    except (json.JSONDecodeError, KeyError):
        raise SolcError(f"solc failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}") from None

"""Community Credits' contracts: compiled from the .sol sources beside this module and the pieces zk
generates for a deployment (the trees for its depth, the three verifiers from its keys, Poseidon(3)
for the external hash), and deployed together.

    deployment = deploy_credits(w3, system)          # a CreditsSystem (or any object with .vks)
    deployment.credits.functions.currentEpoch().call()
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from circuits.protocol import registry_depth
from zk.chain.client import deploy
from zk.chain.contracts import TREES, hasher_name, hasher_source, trees_source
from zk.chain.solc import CompiledContract, compile_solidity
from zk.formats.solidity import solidity_verifier
from zk.formats.solidity_poseidon import UPDATABLE_TREE_LIBRARY, updatable_tree_library

HERE = Path(__file__).resolve().parent
CREDITS = "CommunityCredits"
STABLECOIN = "TestStablecoin"
VERIFIERS = {"purchase": "PurchaseVerifier", "assign": "AssignVerifier", "redeem": "RedeemVerifier"}
EXTERNAL_HASHER = hasher_name(3)
LEAF_HASHER = hasher_name(4)
REGISTRY = "OperatorRegistry"
NOTE_TREE_ID = 0
ASSIGN_TREE_ID = 1


def source(name: str) -> str:
    return (HERE / f"{name}.sol").read_text()


def compile_credits(depth: int, vks: Mapping[str, object]) -> dict[str, CompiledContract]:
    """Every contract of a deployment for trees of ``depth`` and the verifying keys ``vks``
    ({circuit: zk VerifyingKey or snarkjs JSON})."""
    sources = {
        f"{CREDITS}.sol": source(CREDITS),
        f"{TREES}.sol": trees_source(depth, 2),
        f"{EXTERNAL_HASHER}.sol": hasher_source(3),
        f"{STABLECOIN}.sol": source(STABLECOIN),
    }
    for circuit, name in VERIFIERS.items():
        sources[f"{name}.sol"] = solidity_verifier(vks[circuit], contract_name=name)
    compiled = compile_solidity(sources)
    # The registry hashes with its own PoseidonT3 (a second compilation: one name per job).
    compiled.update((name, unit) for name, unit in compile_solidity({
        f"{REGISTRY}.sol": source(REGISTRY),
        f"{UPDATABLE_TREE_LIBRARY}.sol": updatable_tree_library(registry_depth(depth)),
    }).items() if name in (REGISTRY, UPDATABLE_TREE_LIBRARY))
    compiled[LEAF_HASHER] = compile_solidity({f"{LEAF_HASHER}.sol": hasher_source(4, sparse=False)})[LEAF_HASHER]
    return compiled


@dataclass
class Deployment:
    """The contracts of one Community Credits deployment and the gas each deployment cost."""

    w3: object
    depth: int
    token: object
    credits: object
    trees: object
    registry: object
    governance: str
    verifiers: dict
    hasher: object
    deploy_gas: dict

    @property
    def network_fund(self) -> str:
        return self.credits.functions.networkFund().call()


def deploy_credits(w3, vks: Mapping[str, object], depth: int, *, governance: str | None = None,
                   max_relayer_fee: int = 0, network_fund: str | None = None, token=None,
                   compiled: Mapping[str, CompiledContract] | None = None) -> Deployment:
    """Deploy the verifiers, the hashers, the operator registry (changed only by ``governance``,
    default the node's first account), (a test stablecoin unless ``token`` is given) and
    CommunityCredits, which creates its PoseidonTrees. ``network_fund``: the address the network's
    share is released to (default: a fresh address nobody holds a key of, for tests)."""
    compiled = compiled or compile_credits(depth, vks)
    gas = {}
    if token is None:
        token, receipt = deploy(w3, compiled[STABLECOIN])
        gas[STABLECOIN] = receipt["gasUsed"]
    verifiers = {}
    for circuit, name in VERIFIERS.items():
        verifiers[circuit], receipt = deploy(w3, compiled[name])
        gas[name] = receipt["gasUsed"]
    hasher, receipt = deploy(w3, compiled[EXTERNAL_HASHER])
    gas[EXTERNAL_HASHER] = receipt["gasUsed"]
    leaf_hasher, receipt = deploy(w3, compiled[LEAF_HASHER])
    gas[LEAF_HASHER] = receipt["gasUsed"]
    governance = governance or w3.eth.accounts[0]
    registry, receipt = deploy(w3, compiled[REGISTRY], governance, leaf_hasher.address)
    gas[REGISTRY] = receipt["gasUsed"]
    if network_fund is None:
        network_fund = w3.eth.account.create().address
    credits, receipt = deploy(w3, compiled[CREDITS], token.address, verifiers["purchase"].address,
                              verifiers["assign"].address, verifiers["redeem"].address, hasher.address,
                              registry.address, max_relayer_fee, network_fund)
    gas[CREDITS] = receipt["gasUsed"]
    trees = w3.eth.contract(address=credits.functions.trees().call(), abi=compiled[TREES].abi)
    return Deployment(w3, depth, token, credits, trees, registry, governance, verifiers, hasher, gas)

"""Gas of zk's EVM Poseidon and Merkle trees, measured on a local hardhat node.

    python -m zk.chain.gas [--insertions 96]

prints the Markdown tables of docs/chain.md. Every figure is a transaction's ``gasUsed`` on the
node (21,000 base and calldata included, as a user pays it), except the per-hash figures, which
are the gas of the hash alone (a call less the same call without the hash).
"""
from __future__ import annotations

import argparse
import statistics

from zk.chain.client import deploy, send
from zk.chain.contracts import compile_tree_harness
from zk.chain.node import LocalNode
from zk.chain.solc import compile_solidity
from zk.formats.solidity_poseidon import MAX_EVM_INPUTS, library_name, poseidon_library

DEPTH = 20


def _hasher_source(n: int, sparse: bool) -> str:
    name = library_name(n)
    args = ", ".join(f"uint256 a{i}" for i in range(n))
    names = ", ".join(f"a{i}" for i in range(n))
    return poseidon_library(n, sparse=sparse) + f"""
contract Hasher {{
    function hash({args}) external pure returns (uint256) {{ return {name}.hash({names}); }}
    function baseline({args}) external pure returns (uint256) {{ return a0 ^ a{n - 1}; }}
}}
"""


def poseidon_rows(w3) -> list[str]:
    rows = ["| inputs | textbook rounds: gas per hash | sparse partial rounds: gas per hash | ratio | code size (textbook / sparse) |",
            "|---:|---:|---:|---:|---|"]
    for n in range(1, MAX_EVM_INPUTS + 1):
        gas, size = {}, {}
        for sparse in (False, True):
            unit = compile_solidity({"Hasher.sol": _hasher_source(n, sparse)})["Hasher"]
            contract = deploy(w3, unit)[0]
            inputs = list(range(1, n + 1))
            gas[sparse] = (contract.functions.hash(*inputs).estimate_gas()
                           - contract.functions.baseline(*inputs).estimate_gas())
            size[sparse] = unit.runtime_size
        rows.append(f"| {n} | {gas[False]:,} | {gas[True]:,} | {gas[False] / gas[True]:.2f}x | "
                    f"{size[False]:,} / {size[True]:,} bytes |")
    return rows


def tree_rows(w3, insertions: int) -> list[str]:
    variants = [
        ("Tornado-style writes, textbook Poseidon", dict(store_every_left=True, sparse=False)),
        ("Tornado-style writes, sparse Poseidon", dict(store_every_left=True, sparse=True)),
        ("one frontier write, sparse Poseidon", dict(store_every_left=False, sparse=True)),
    ]
    rows = [f"| depth {DEPTH} tree | deploy | code size | 1st insertion | mean of 2nd-32nd | "
            f"mean of {insertions - 31}th-{insertions}th |", "|---|---:|---:|---:|---:|---:|"]
    for label, options in variants:
        unit = compile_tree_harness(DEPTH, **options)
        contract, receipt = deploy(w3, unit)
        gas = [send(w3, contract.functions.insert(i + 1)).gas for i in range(insertions)]
        rows.append(f"| {label} | {receipt['gasUsed']:,} | {unit.runtime_size:,} | {gas[0]:,} | "
                    f"{statistics.mean(gas[1:32]):,.0f} | {statistics.mean(gas[-32:]):,.0f} |")
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insertions", type=int, default=96, help="insertions per tree (at least 64)")
    args = parser.parse_args(argv)
    with LocalNode() as node:
        w3 = node.web3()
        print("\n".join(poseidon_rows(w3)))
        print()
        print("\n".join(tree_rows(w3, max(args.insertions, 64))))


if __name__ == "__main__":
    main()

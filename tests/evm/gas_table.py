"""Gas of one verifyProof call: zk's exported verifier against snarkjs 0.7.6's, same proofs, same EVM.

    .venv/bin/python tests/evm/gas_table.py [--no-optimizer] [--via-ir]

Prints the markdown table of docs/solidity.md. Proofs and keys are the committed snarkjs fixtures
(tests/data/solidity, n = 1, 4, 8 public inputs); "random" inputs are uniform in [0, r), "edge"
inputs cycle through 0, 1, r - 1, 2. Execution gas: no 21000 intrinsic cost, no calldata cost
(calldata is the same for both contracts).
"""
from __future__ import annotations

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from evm.runner import Call, run_evm  # noqa: E402
from zk.formats.solidity import CONTRACT_NAME, calldata_words, solidity_verifier  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "solidity"
SIZES = (1, 4, 8)


def main() -> None:
    optimizer_runs = None if "--no-optimizer" in sys.argv[1:] else 200
    via_ir = "--via-ir" in sys.argv[1:]
    contracts, calls, keys = {}, [], []
    for n in SIZES:
        folder = DATA / f"n{n}"
        vk = json.loads((folder / "verification_key.json").read_text())
        contracts[f"zk{n}"] = (solidity_verifier(vk), CONTRACT_NAME)
        contracts[f"snarkjs{n}"] = ((folder / "verifier_snarkjs.sol").read_text(), "Groth16Verifier")
        for tag in ("", "_edge"):
            words = calldata_words(json.loads((folder / f"public{tag}.json").read_text()),
                                   json.loads((folder / f"proof{tag}.json").read_text()))
            for label in ("zk", "snarkjs"):
                keys.append((label, n, tag))
                calls.append(Call(f"{label}{n}", words))
    run = run_evm(contracts, calls, optimizer_runs=optimizer_runs, via_ir=via_ir)
    gas = {}
    for key, result in zip(keys, run.calls):
        if not result.returned_true:
            sys.exit(f"{key}: the proof did not verify: {result}")
        gas[key] = result.gas_used

    optimizer = "optimizer off" if optimizer_runs is None else f"optimizer on, {optimizer_runs} runs"
    optimizer += ", via IR" if via_ir else ""
    print(f"solc {run.compiler.split('+')[0]} ({optimizer}), @ethereumjs/evm, {run.hardfork} rules\n")
    print("| public inputs | zk, random inputs | snarkjs 0.7.6 | difference | zk, edge inputs | snarkjs, edge | zk runtime bytes | snarkjs runtime bytes |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in SIZES:
        ours, theirs = gas[("zk", n, "")], gas[("snarkjs", n, "")]
        print(f"| {n} | {ours} | {theirs} | {ours - theirs:+d} | {gas[('zk', n, '_edge')]} | "
              f"{gas[('snarkjs', n, '_edge')]} | {run.contracts[f'zk{n}']['runtime_size']} | "
              f"{run.contracts[f'snarkjs{n}']['runtime_size']} |")
    first, last = SIZES[0], SIZES[-1]
    for label in ("zk", "snarkjs"):
        slope = (gas[(label, last, "")] - gas[(label, first, "")]) / (last - first)
        base = gas[(label, first, "")] - first * slope
        print(f"\n{label}: about {base:.0f} + {slope:.0f} per public input", end="")
    print()


if __name__ == "__main__":
    main()

"""Regenerate the snarkjs fixtures of tests/test_solidity*.py (needs `make npm`; about a minute).

    .venv/bin/python tests/data/solidity/generate.py [OUT_DIR]

For n = 1, 4, 8 public inputs: a circom circuit T(n) (x[n] public, w private, y[i] = x[i] * w),
a power-8 powers of tau, a Groth16 zkey with one phase-2 contribution, and with snarkjs 0.7.6:
  n{n}/verification_key.json   snarkjs zkey export verificationkey
  n{n}/verifier_snarkjs.sol    snarkjs zkey export solidityverifier (the gas and ABI reference)
  n{n}/{proof,public}.json     a proof for random public inputs
  n{n}/{proof,public}_edge.json  a proof for the inputs 0, 1, r - 1, 2, ... (the contract's shortcuts)
  n{n}/calldata_snarkjs.txt, calldata_edge_snarkjs.txt   snarkjs zkey export soliditycalldata
Every proof is checked with snarkjs groth16 verify before it is kept.
"""
from __future__ import annotations

import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[3]
BIN = ROOT / "node_modules" / ".bin"
HERE = pathlib.Path(__file__).resolve().parent
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
SIZES = (1, 4, 8)
EDGE_VALUES = (0, 1, R - 1, 2)

CIRCUIT = """pragma circom 2.0.0;
template T(n) {
    signal input x[n];
    signal input w;
    signal y[n];
    for (var i = 0; i < n; i++) { y[i] <== x[i] * w; }
}
component main {public [x]} = T(%d);
"""


def run(tool: str, *args, cwd) -> str:
    result = subprocess.run([str(BIN / tool), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"{tool} {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def powers_of_tau(work: pathlib.Path) -> pathlib.Path:
    run("snarkjs", "powersoftau", "new", "bn128", 8, "pot0.ptau", cwd=work)
    run("snarkjs", "powersoftau", "contribute", "pot0.ptau", "pot1.ptau", "-e=zk solidity fixtures", cwd=work)
    run("snarkjs", "powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau", cwd=work)
    return work / "pot.ptau"


def prove(work: pathlib.Path, name: str, inputs: dict, tag: str, out: pathlib.Path) -> None:
    (work / f"input{tag}.json").write_text(json.dumps(inputs))
    run("snarkjs", "wtns", "calculate", f"{name}_js/{name}.wasm", f"input{tag}.json", f"w{tag}.wtns", cwd=work)
    run("snarkjs", "groth16", "prove", f"{name}.zkey", f"w{tag}.wtns", out / f"proof{tag}.json", out / f"public{tag}.json", cwd=work)
    run("snarkjs", "groth16", "verify", out / "verification_key.json", out / f"public{tag}.json", out / f"proof{tag}.json", cwd=work)
    calldata = run("snarkjs", "zkey", "export", "soliditycalldata", out / f"public{tag}.json", out / f"proof{tag}.json", cwd=work)
    (out / f"calldata{tag}_snarkjs.txt").write_text(calldata)


def circuit(work: pathlib.Path, ptau: pathlib.Path, n: int, rng: random.Random, out: pathlib.Path) -> None:
    name = f"t{n}"
    (work / f"{name}.circom").write_text(CIRCUIT % n)
    run("circom2", f"{name}.circom", "--r1cs", "--wasm", "-o", ".", cwd=work)
    run("snarkjs", "groth16", "setup", f"{name}.r1cs", ptau, f"{name}_0.zkey", cwd=work)
    run("snarkjs", "zkey", "contribute", f"{name}_0.zkey", f"{name}.zkey", f"-e=zk solidity {n} {rng.random()}", cwd=work)
    out.mkdir(parents=True, exist_ok=True)
    run("snarkjs", "zkey", "export", "verificationkey", f"{name}.zkey", out / "verification_key.json", cwd=work)
    run("snarkjs", "zkey", "export", "solidityverifier", f"{name}.zkey", out / "verifier_snarkjs.sol", cwd=work)
    random_inputs = {"x": [str(rng.randrange(R)) for _ in range(n)], "w": str(rng.randrange(1, R))}
    prove(work, name, random_inputs, "", out)
    edge = [EDGE_VALUES[i % len(EDGE_VALUES)] for i in range(n)] if n > 1 else [1]
    prove(work, name, {"x": [str(v) for v in edge], "w": str(rng.randrange(1, R))}, "_edge", out)


def main() -> None:
    out_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    rng = random.Random()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        ptau = powers_of_tau(work)
        for n in SIZES:
            circuit(work, ptau, n, rng, out_dir / f"n{n}")
            for stale in work.glob(f"t{n}_js"):
                shutil.rmtree(stale)
    print(f"fixtures written to {out_dir}")


if __name__ == "__main__":
    main()

"""The snarkjs npm peer as the tests drive it: the command, its skip marker, and the one ceremony
(powers of tau at power 8, phase 2 with a contribution and a beacon) the zkey and interop tests
build their snarkjs keys with."""
from __future__ import annotations

import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "node_modules" / ".bin"
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

needs_snarkjs = pytest.mark.skipif(not (BIN / "snarkjs").exists(),
                                   reason="npm peers not installed: node_modules/.bin/snarkjs missing (run `make npm`)")


def snarkjs(*args, cwd, check=True):
    result = subprocess.run([str(BIN / "snarkjs"), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"snarkjs {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


def ceremony_zkey(d, r1cs: str, zkey: str, vkey: str, *, name: str, entropy: str) -> None:
    """In directory ``d``: a power-8 ptau, `groth16 setup` of ``r1cs``, one contribution and a
    beacon (the final key ``zkey``), and its verification key ``vkey``; intermediate files stay."""
    snarkjs("powersoftau", "new", "bn128", "8", "pot0.ptau", cwd=d)
    snarkjs("powersoftau", "contribute", "pot0.ptau", "pot1.ptau", f"--name={name}", f"-e={entropy}", cwd=d)
    snarkjs("powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau", cwd=d)
    snarkjs("groth16", "setup", r1cs, "pot.ptau", "mul0.zkey", cwd=d)
    snarkjs("zkey", "contribute", "mul0.zkey", "mul1.zkey", f"--name={name}", "-e=phase2 entropy", cwd=d)
    snarkjs("zkey", "beacon", "mul1.zkey", zkey, BEACON, "10", cwd=d)
    snarkjs("zkey", "export", "verificationkey", zkey, vkey, cwd=d)

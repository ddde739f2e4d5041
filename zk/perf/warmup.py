"""Compile every numba kernel the commands use, once, so that the first real command does not.

numba compiles a kernel on its first call and keeps the machine code in its on-disk cache
(``NUMBA_CACHE_DIR``, or ``__pycache__`` beside the sources); this module makes those first
calls on a tiny circuit, stage by stage, and reports the CPU time each stage took. From a warm
cache it finishes in a few seconds (it then only loads the cached code).
"""
from __future__ import annotations

import time
from typing import Callable


def tiny_circuit():
    """A six-constraint circuit and its witness: enough to call every kernel family once (the
    start-up tests prove and verify with it too)."""
    from zk.r1cs import Circuit, Output, Public, compile

    class Square(Circuit):
        y = Output()
        x = Public()

        def define(self, api):
            v = self.x
            for _ in range(4):
                v = v * v + self.x
            api.set_output(self.y, v)

    cs = compile(Square)
    return cs, cs.solve({"x": 3})


def _stages():
    state: dict = {}

    def field():
        import numpy as np

        from zk.field import FR
        from zk.field import arrays as field_arrays

        x = field_arrays.to_array(FR, [1, 2, 3])
        field_arrays.mul(FR, x, x, np.empty_like(x))

    def setup():
        from zk.groth16 import setup as groth16_setup

        state["cs"], state["witness"] = tiny_circuit()
        state["pk"], state["vk"] = groth16_setup(state["cs"])

    def keyfile():
        import os
        import tempfile

        from zk.formats import keyfile as kf

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "warm.pk")
            kf.save(state["pk"], path)
            state["pk"] = kf.load(path)

    def prove():
        from zk.groth16 import prove as groth16_prove

        state["proof"], state["public"] = groth16_prove(state["pk"], state["witness"])

    def verify():
        from zk.formats.snarkjs import proof_from_json, proof_to_json, vkey_from_json, vkey_to_json
        from zk.groth16 import verify as groth16_verify
        from zk.groth16 import verify_batch

        vk = vkey_from_json(vkey_to_json(state["vk"]))
        proof = proof_from_json(proof_to_json(state["proof"]))
        if not groth16_verify(vk, state["public"], proof):
            raise RuntimeError("warm-up proof did not verify")
        verify_batch(vk, [(state["public"], proof)] * 2)

    def msm():
        from zk.curve import G1Point, G2Point
        from zk.msm import msm_g1, msm_g2

        # The entry points with their input checks, each group's default path (the endomorphism
        # split in G2 only: the other variants are a library option no command takes, and their
        # kernels compile on first use).
        msm_g1([G1Point.generator()] * 3, [1, 2, 3])
        msm_g2([G2Point.generator()] * 3, [1, 2, 3])
        _ = (G1Point.generator() * 5, G2Point.generator() * 5)  # GLV scalar multiplication

    return [("field arithmetic", field), ("Groth16 setup (QAP, NTT, fixed-base tables)", setup),
            ("proving-key file", keyfile), ("Groth16 prove (MSMs, quotient)", prove),
            ("verify, batch verify, snarkjs JSON", verify), ("MSM variants, scalar multiplication", msm)]


def warmup(progress: Callable[[str], None] | None = None) -> dict:
    """Run every stage; returns {"stages": [(name, wall s, CPU s)], "wall_s", "cpu_s"}."""
    say = progress or (lambda _line: None)
    stages = _stages()
    out = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i, (name, run) in enumerate(stages, 1):
        say(f"[{i}/{len(stages)}] {name} ...")
        w, c = time.perf_counter(), time.process_time()
        run()
        out.append((name, time.perf_counter() - w, time.process_time() - c))
        say(f"[{i}/{len(stages)}] {name}: {out[-1][1]:.1f} s ({out[-1][2]:.1f} s CPU)")
    return {"stages": out, "wall_s": time.perf_counter() - wall0, "cpu_s": time.process_time() - cpu0}

"""Witnesses from outside zk's own circuits: circom's witness calculator (.wasm) run in-process
under wasmtime, without Node (`zk.witness.wasm`)."""

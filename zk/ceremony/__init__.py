"""Trusted-setup ceremonies (orchestration above zk/formats): powers of tau and the primitives
both phases share.

- :mod:`.blake2b`: BLAKE2b-512 with snarkjs's exportable 216-byte ``partialHash`` state.
- :mod:`.chacha`: ffjavascript's ChaCha20 generator and the ``fromRng`` samplers (Fr, Fq, G1, G2).
- :mod:`.keypair`: proofs of knowledge, hash-to-G2, same-ratio checks, beacon and OS randomness.
- :mod:`.points`: bulk point encodings used inside hashes (uncompressed / compressed big-endian).
- :mod:`.powersoftau`: ``new``, ``contribute``, ``beacon``, ``verify``, ``prepare`` on .ptau files.
"""

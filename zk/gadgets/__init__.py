"""Circuit gadgets: Poseidon (circomlib-compatible), binary Merkle trees, multiplexers.
Bits, range checks, comparators, IsZero/IsEqual and 2:1 select are methods of the circuit API."""
from zk.gadgets.mux import mux
from zk.gadgets.poseidon import poseidon, poseidon_gadget

__all__ = ["mux", "poseidon", "poseidon_gadget"]
from zk.gadgets.merkle import MerkleProof, MerkleTree, merkle_inclusion_circuit, merkle_root_gadget, zero_hashes

__all__ += ["MerkleProof", "MerkleTree", "merkle_inclusion_circuit", "merkle_root_gadget", "zero_hashes"]

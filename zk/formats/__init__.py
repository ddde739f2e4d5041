"""File formats shared with other zero-knowledge tools (circom/snarkjs)."""

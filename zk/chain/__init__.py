"""Community Credits' contracts on a real chain: compiling Solidity with the solc npm peer, a local
hardhat node, and clients (web3.py, the optional ``chain`` extra) that read the contracts' events.

Nothing here is imported by the rest of ``zk``; ``web3`` is imported only where a node is talked to.
"""

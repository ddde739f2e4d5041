"""Deploying and calling compiled contracts through web3.py, with the gas of each transaction."""
from __future__ import annotations

from dataclasses import dataclass

from zk.chain.solc import CompiledContract, MAX_RUNTIME_SIZE


class TransactionFailed(RuntimeError):
    """A transaction reverted (the node reports the reason when it has one)."""


@dataclass(frozen=True)
class Sent:
    receipt: dict

    @property
    def gas(self) -> int:
        return self.receipt["gasUsed"]


def deploy(w3, compiled: CompiledContract, *args, sender: str | None = None):
    """(contract, receipt) for ``compiled`` deployed with constructor ``args``. Refuses code over
    EIP-170's limit before sending (the node would refuse it too, less clearly)."""
    if compiled.runtime_size > MAX_RUNTIME_SIZE:
        raise TransactionFailed(f"{compiled.name} has {compiled.runtime_size} bytes of runtime code, over "
                                f"EIP-170's {MAX_RUNTIME_SIZE}")
    factory = w3.eth.contract(abi=compiled.abi, bytecode="0x" + compiled.bytecode)
    receipt = send(w3, factory.constructor(*args), sender=sender).receipt
    return w3.eth.contract(address=receipt["contractAddress"], abi=compiled.abi), receipt


# Sent with a fixed gas limit instead of an estimate: hardhat estimates by bisection (several
# executions), which would triple the time of every transaction. Unused gas is not paid.
DEFAULT_GAS = 10_000_000


def send(w3, call, *, sender: str | None = None, gas: int = DEFAULT_GAS) -> Sent:
    """Send a contract function call (or constructor) as a transaction and wait for its receipt."""
    from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

    try:
        tx_hash = call.transact({"from": sender or w3.eth.default_account, "gas": gas})
    except (ContractLogicError, ContractCustomError, Web3RPCError) as exc:  # hardhat answers a revert with an error
        raise TransactionFailed(str(exc)) from None
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.02)
    if receipt["status"] != 1:
        raise TransactionFailed(f"transaction {tx_hash.hex()} reverted")
    return Sent(receipt)

"""The EVM backend of the ledger: the same operations and the same reading of the state as the
SQLite `circuits.app.ledger.Ledger` (the reference model), carried out by the CommunityCredits
contract on a chain through web3.py. A refusal raises the SQLite ledger's exception class for the
same rule (the contract's custom error, mapped), and the state is unchanged.

    ledger = EvmLedger(deploy_credits(w3, system.vks, depth))
    buyer = ledger.fresh_buyer(100)                     # a new address with 100 tokens and gas
    index = ledger.purchase(buyer, proof, note_cm, 100, epoch)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from circuits.app.chain.contracts import ASSIGN_TREE_ID, NOTE_TREE_ID, Deployment
from circuits.app.ledger import (
    ASSIGN_TREE, NOTE_TREE, BadPublicInput, Bucket, InsufficientFunds, InvalidProof, LedgerError, NullifierSpent,
    PaymentMismatch, RegistryError, RelayerFeeTooHigh, StaleRegistryRoot, Unauthorized, UnknownRoot, WrongEpoch,
)
from circuits.app.registry import RegistryChange, RegistryEntry
from circuits.protocol import AssignPublic, RedeemPublic
from zk.chain.merkle import TreeMirror

try:
    from web3.logs import DISCARD
except ImportError:  # web3 is the optional `chain` extra; only this backend needs it
    DISCARD = None

TREE_IDS = {NOTE_TREE: NOTE_TREE_ID, ASSIGN_TREE: ASSIGN_TREE_ID}
GAS_LIMIT = 3_000_000


# The contract's custom errors (and the token's) as the SQLite ledger's refusals.
_ERRORS = {
    "NotInField": BadPublicInput, "BadAmount": BadPublicInput, "BadPayout": BadPublicInput,
    "BadExternalHash": BadPublicInput, "DuplicateNote": BadPublicInput, "WrongEpoch": WrongEpoch,
    "InvalidProof": InvalidProof, "UnknownRoot": UnknownRoot, "NullifierSpent": NullifierSpent,
    "InsufficientFunds": InsufficientFunds, "RelayerFeeTooHigh": RelayerFeeTooHigh, "BadShare": BadPublicInput,
    "StaleRegistryRoot": StaleRegistryRoot, "NotGovernance": Unauthorized, "WrongSeq": RegistryError,
    "AlreadyRegistered": RegistryError, "NotRegistered": RegistryError, "PayoutTaken": RegistryError,
    "PayoutNotAnAddress": RegistryError, "ShareTooHigh": RegistryError, "OperatorNotInField": RegistryError,
    "RegistryFull": RegistryError,
    "ERC20InsufficientAllowance": PaymentMismatch, "ERC20InsufficientBalance": PaymentMismatch,
    "SafeERC20FailedOperation": PaymentMismatch,
}


def proof_words(proof) -> tuple[list, list, list]:
    """A Groth16 proof as the verifiers' (a, b, c) arguments."""
    from zk.formats.solidity import g1_words, g2_words

    b = g2_words(proof.b)
    return g1_words(proof.a), [b[0:2], b[2:4]], g1_words(proof.c)


def address_of(value: int) -> str:
    from web3 import Web3

    if not 0 <= value < 1 << 160:
        raise BadPublicInput(f"{value:#x} is not a 160-bit chain address")
    return Web3.to_checksum_address(value.to_bytes(20, "big"))


@dataclass(frozen=True)
class FreshPayment:
    """The chain's counterpart of the SQLite ledger's Payment: the purchase is paid by
    `transferFrom` from this account, a new address used once."""

    account: object
    amount: int


class EvmLedger:
    def __init__(self, deployment: Deployment, sender: str | None = None):
        self.deployment = deployment
        self.w3 = deployment.w3
        self.credits = deployment.credits
        self.trees = deployment.trees
        self.token = deployment.token
        self.depth = deployment.depth
        self.sender = sender or self.w3.eth.accounts[0]
        self.mirrors = {name: TreeMirror(self.trees, self.depth, tree_id) for name, tree_id in TREE_IDS.items()}
        self._errors = {}
        self.registry = EvmRegistry(self, deployment.registry, deployment.governance)
        self.ledger_id = f"{self.w3.eth.chain_id}:{self.credits.address}"
        for contract in (self.credits, self.trees, self.token, deployment.registry):
            for entry in contract.abi:
                if entry["type"] == "error":
                    signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
                    self._errors[self.w3.keccak(text=signature)[:4].hex()] = entry["name"]
        for name, signature in (("ERC20InsufficientAllowance", "ERC20InsufficientAllowance(address,uint256,uint256)"),
                                ("ERC20InsufficientBalance", "ERC20InsufficientBalance(address,uint256,uint256)"),
                                ("SafeERC20FailedOperation", "SafeERC20FailedOperation(address)")):
            self._errors[self.w3.keccak(text=signature)[:4].hex()] = name
        self.last_gas: int | None = None

    # ------------------------------------------------------------------ transactions
    def _transact(self, call, account=None) -> dict:
        """Send `call` from `account` (a local key: signed here) or the node's unlocked sender, wait
        for the receipt; a revert raises the ledger error of the contract's custom error."""
        from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

        sender = account.address if account is not None else self.sender
        try:
            tx = call.build_transaction({"from": sender, "gas": GAS_LIMIT,
                                         "nonce": self.w3.eth.get_transaction_count(sender, "pending")})
            if account is not None:
                tx_hash = self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
            else:
                tx_hash = self.w3.eth.send_transaction(tx)
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            raise self._refusal(exc) from None
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.02)
        self.last_gas = receipt["gasUsed"]
        if receipt["status"] != 1:
            raise LedgerError(f"transaction {tx_hash.hex()} reverted")
        return receipt

    def _refusal(self, exc) -> LedgerError:
        data = getattr(exc, "data", None)
        text = data if isinstance(data, str) else str(exc)
        for selector, name in self._errors.items():
            if selector.removeprefix("0x") in text.removeprefix("0x")[:12] or f"0x{selector.removeprefix('0x')}" in text:
                return _ERRORS.get(name, LedgerError)(f"the contract refused: {name}")
        return LedgerError(f"the contract refused: {exc}")

    def fresh_payment(self, amount: int) -> "FreshPayment":
        """What a wallet's purchase takes on chain: a fresh, funded address and the amount."""
        return FreshPayment(self.fresh_buyer(amount), amount)

    def fresh_buyer(self, amount: int, funder: str | None = None):
        """A new address (a key nobody else holds) with `amount` test tokens and gas money: each
        purchase comes from one (docs/PROTOCOL.md §8). On a real chain the user funds it."""
        account = self.w3.eth.account.create()
        funder = funder or self.sender
        self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_transaction(
            {"from": funder, "to": account.address, "value": 10**17}))
        self._transact(self.token.functions.mint(account.address, amount))
        return account

    # ------------------------------------------------------------------ operations
    def purchase(self, buyer, proof, note_cm: int, amount: int, epoch: int, *, approve: int | None = None) -> int:
        """Approve and purchase from `buyer` (a local account, or a FreshPayment); returns the
        note's leaf index."""
        buyer = getattr(buyer, "account", buyer)
        self._transact(self.token.functions.approve(self.credits.address, amount if approve is None else approve), buyer)
        a, b, c = proof_words(proof)
        receipt = self._transact(self.credits.functions.purchase(a, b, c, note_cm, amount, epoch), buyer)
        return self._leaves_of(receipt)[NOTE_TREE][0]

    def assign(self, proof, publics: AssignPublic, relayer: int, fee: int, account=None) -> tuple[int, int]:
        a, b, c = proof_words(proof)
        receipt = self._transact(self.credits.functions.assign(a, b, c, publics.as_list(), address_of(relayer), fee),
                                 account)
        leaves = self._leaves_of(receipt)
        return leaves[ASSIGN_TREE][0], leaves[NOTE_TREE][0]

    def redeem(self, proof, publics: RedeemPublic, account=None) -> dict:
        a, b, c = proof_words(proof)
        receipt = self._transact(self.credits.functions.redeem(a, b, c, publics.as_list()), account)
        redeemed = self.credits.events.Redeemed().process_receipt(receipt, errors=DISCARD)[0]["args"]
        debits = [(e["args"]["epoch"], e["args"]["amount"]) for e in self.credits.events.Debited().process_receipt(receipt, errors=DISCARD)]
        return {"operator_share": redeemed["operatorShare"], "network_share": redeemed["networkShare"],
                "change_leaf": self._leaves_of(receipt)[ASSIGN_TREE][0], "debits": debits}

    def sweep_expired(self) -> list[tuple[int, int]]:
        receipt = self._transact(self.credits.functions.sweep())
        return [(e["args"]["epoch"], e["args"]["amount"]) for e in self.credits.events.Swept().process_receipt(receipt, errors=DISCARD)]

    def release_network_fund(self) -> int:
        receipt = self._transact(self.credits.functions.releaseNetworkFund())
        return self.credits.events.NetworkFundReleased().process_receipt(receipt, errors=DISCARD)[0]["args"]["amount"]

    def _leaves_of(self, receipt) -> dict[str, list[int]]:
        by_id = {tree_id: name for name, tree_id in TREE_IDS.items()}
        out = {NOTE_TREE: [], ASSIGN_TREE: []}
        for event in self.trees.events.LeafInserted().process_receipt(receipt, errors=DISCARD):
            out[by_id[event["args"]["tree"]]].append(event["args"]["index"])
        return out

    # ------------------------------------------------------------------ reading the state
    def now(self) -> int:
        return self.credits.functions.epochOf(self.w3.eth.get_block("latest")["timestamp"]).call()

    def root(self, tree: str) -> int:
        return self.trees.functions.root(TREE_IDS[tree]).call()

    def is_known_root(self, tree: str, root: int) -> bool:
        return self.trees.functions.isKnownRoot(TREE_IDS[tree], root).call()

    def leaves(self, tree: str, start: int = 0) -> list[int]:
        """The tree's leaves, from the events (checked root for root against zk's tree)."""
        return self.mirrors[tree].sync().leaves()[start:]

    def tree(self, tree: str):
        """A copy of zk's MerkleTree of the chain's tree, rebuilt from events (Merkle paths for
        proofs; the caller may change it)."""
        from zk.gadgets import MerkleTree

        copy = MerkleTree(self.depth)
        copy.extend(self.mirrors[tree].sync().leaves())
        return copy

    def leaf_count(self, tree: str) -> int:
        return self.trees.functions.size(TREE_IDS[tree]).call()

    def is_spent(self, kind: str, nullifier: int) -> bool:
        spent = self.credits.functions.noteNullifierSpent if kind == "note" else self.credits.functions.assignNullifierSpent
        return spent(nullifier).call()

    def buckets(self) -> list[Bucket]:
        epochs = [self.credits.functions.bucketEpochs(i).call() for i in range(self.credits.functions.bucketCount().call())]
        return [Bucket(e, *self.credits.functions.bucket(e).call()) for e in epochs]

    def payout_balance(self, payout: int) -> int:
        return self.token.functions.balanceOf(address_of(payout)).call()

    def payout_balances(self, payouts: Iterable[int] | None = None) -> dict[int, int]:
        """Token balances of `payouts` (default: every registered operator's payout address)."""
        if payouts is None:
            payouts = [e.payout for e in self.registry.entries()]
        return {p: self.payout_balance(p) for p in payouts}

    @property
    def network_fund(self) -> int:
        """What the network fund holds: its share of redemptions and sweeps less the relayer fees it
        paid, in the contract or released to its address."""
        f = self.credits.functions
        return f.networkFundBalance().call() + f.networkFundReleased().call()

    def totals(self) -> dict[str, int]:
        """The books' totals, summed from the contract's events (it keeps no counters for them)."""
        events = self.credits.events
        redeemed = [e["args"] for e in events.Redeemed.get_logs(from_block=0)]
        return {"payments": sum(e["args"]["amount"] for e in events.Purchased.get_logs(from_block=0)),
                "operator_payouts": sum(e["operatorShare"] for e in redeemed),
                "network_from_redemptions": sum(e["networkShare"] for e in redeemed),
                "network_from_sweeps": sum(e["args"]["amount"] for e in events.Swept.get_logs(from_block=0)),
                "relayer_fees": sum(e["args"]["fee"] for e in events.Assigned.get_logs(from_block=0))}

    def check_invariants(self) -> None:
        """The SQLite ledger's checks, as far as a chain's reader can make them: the trees and the
        registry rebuilt from events give the contract's roots, and the tokens the contract holds
        are the open buckets' remainders plus the network fund not yet released."""
        from circuits.app.ledger import InvariantViolation

        from zk.chain.merkle import TreeMismatch

        for name, mirror in self.mirrors.items():
            try:
                if mirror.sync().root != self.root(name):
                    raise InvariantViolation(f"the {name} tree's events do not give the contract's root")
            except TreeMismatch as exc:
                raise InvariantViolation(str(exc)) from None
        try:
            self.registry.tree()
        except LedgerError as exc:
            raise InvariantViolation(str(exc)) from None
        held = self.token.functions.balanceOf(self.credits.address).call()
        owed = sum(b.remaining for b in self.buckets()) + self.credits.functions.networkFundBalance().call()
        if held != owed:
            raise InvariantViolation(f"the contract holds {held} tokens, its books say {owed}")

    def status(self) -> dict:
        return {"epoch": self.now(), "depth": self.depth, "operators": len(self.registry.entries()),
                "notes": self.leaf_count(NOTE_TREE), "assignments": self.leaf_count(ASSIGN_TREE),
                "network_fund": self.network_fund, "token_held": self.token.functions.balanceOf(self.credits.address).call(),
                "buckets": [(b.epoch, b.purchased, b.debited, b.swept, b.open) for b in self.buckets()]}


_OPS = ("add", "rotate", "share", "remove")


class EvmRegistry:
    """The OperatorRegistry contract behind the SQLite ledger's `Registry` interface: `apply` a
    change, read the root, the entries, the next seq. On chain the governance is the address that
    sends the change (a multisig on a real chain): the Ed25519 signature, the SQLite ledger's form
    of the same authorization, is not needed here and is ignored, and a change sent from any other
    address is refused (Unauthorized)."""

    def __init__(self, ledger: EvmLedger, contract, governance: str):
        from circuits.protocol import registry_depth

        self.ledger = ledger
        self.contract = contract
        self.governance = governance
        self.depth = registry_depth(ledger.depth)

    def apply(self, change: RegistryChange, signature: bytes | None = None, sender: str | None = None) -> int:
        f = self.contract.functions
        call = {"add": lambda: f.add(change.seq, change.operator, change.payout, change.share_bps),
                "rotate": lambda: f.rotate(change.seq, change.operator, change.payout),
                "share": lambda: f.setShare(change.seq, change.operator, change.share_bps),
                "remove": lambda: f.remove(change.seq, change.operator)}[change.op]()
        previous, self.ledger.sender = self.ledger.sender, sender or self.governance
        try:
            self.ledger._transact(call)
        finally:
            self.ledger.sender = previous
        return self.root()

    def root(self) -> int:
        return self.contract.functions.root().call()

    def is_accepted_root(self, root: int) -> bool:
        return self.contract.functions.isAcceptedRoot(root).call()

    def next_seq(self) -> int:
        return self.contract.functions.changes().call()

    def entry(self, operator: int) -> RegistryEntry | None:
        payout, share, slot, registered = self.contract.functions.entry(operator).call()
        return RegistryEntry(operator, payout, share, slot) if registered else None

    def _events(self):
        return sorted(self.contract.events.RegistryChanged.get_logs(from_block=0),
                      key=lambda log: (log["blockNumber"], log["logIndex"]))

    def entries(self) -> list[RegistryEntry]:
        operators = {log["args"]["operator"] for log in self._events()}
        found = [self.entry(op) for op in operators]
        return sorted((e for e in found if e is not None), key=lambda e: e.index)

    def leaves(self) -> list[int]:
        """Every slot's leaf (0 for an emptied slot), rebuilt from the change events."""
        slots: dict[int, int] = {}
        for log in self._events():
            slots[log["args"]["slot"]] = log["args"]["leaf"]
        return [slots.get(i, 0) for i in range(max(slots, default=-1) + 1)]

    def tree(self):
        """The registry tree rebuilt from the change events: a prover's path to its entry."""
        from zk.gadgets import MerkleTree

        tree = MerkleTree(self.depth)
        tree.extend(self.leaves())
        if tree.root != self.root():
            raise LedgerError("the registry's events do not give the contract's registry root")
        return tree

"""The Community Credits story on a local chain, with the gas of each step:
`python -m circuits.app.chain.demo [--depth N] [--home DIR]` (`make demo-chain`).

A hardhat node is started on 127.0.0.1 at a free port and stopped at the end. The contracts are
deployed (verifiers from the keys, trees of the given depth, the registry, the money contract);
governance registers an operator; alice buys from two fresh addresses, assigns to a group's
operator (two notes in, change back) and hands the assignment over; the operator redeems to its
registered payout; a replay and a front-run payout are refused; bob's assignment goes through a
relayer paid by the network fund; a year later the sweep releases what was never redeemed and the
network fund is paid out. Wallets rebuild the trees from the contract's events. Keys are cached in
HOME/keys (shared with `zk credits demo` at the same depth).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

from circuits.app.chain.contracts import compile_credits, deploy_credits
from circuits.app.chain.ledger import EvmLedger, address_of
from circuits.app.home import default_home, group_id, hex_address, month
from circuits.app.ledger import ASSIGN_TREE, NOTE_TREE, LedgerError
from circuits.app.registry import Governance
from circuits.app.system import CreditsSystem
from circuits.app.vault import DEMO_PASSPHRASE
from circuits.app.wallet import Wallet, export_assignment
from circuits.protocol import DEFAULT_DEPTH, RedeemPublic, epoch_to_month

PAYOUT = 0x00000000000000000000000000000000C0FFEE01
ATTACKER_PAYOUT = 0x000000000000000000000000000000000BADBAD0
RELAYER = 0x000000000000000000000000000000002E1A4E01
MAX_RELAYER_FEE = 2


class ChainStory:
    def __init__(self, home: Path, depth: int, echo: Callable[[str], None], system: CreditsSystem | None = None):
        self.system = system
        self.home = Path(home)
        self.depth = depth
        self.echo = echo
        self.gas: list[tuple[str, int]] = []
        self.n = 0

    def step(self, title: str) -> None:
        self.n += 1
        self.echo(f"\n{self.n}. {title}")

    def paid(self, what: str) -> None:
        gas = self.ledger.last_gas
        self.gas.append((what, gas))
        self.echo(f"   {what}: {gas:,} gas")

    def run(self, node) -> None:
        t0 = time.perf_counter()
        if self.system is None:
            self.system = CreditsSystem.load(self.depth, self.home / "keys")
        self.echo(f"Community Credits on a local chain (hardhat at {node.url}), tree depth {self.depth}; keys "
                  f"ready in {time.perf_counter() - t0:.1f} s (single-party setup: development only)")
        w3 = node.web3()
        t0 = time.perf_counter()
        compiled = compile_credits(self.depth, self.system.vks)
        self.echo(f"contracts compiled in {time.perf_counter() - t0:.1f} s (solc, cached on disk)")
        self.step("deploy: verifiers, hashers, operator registry, CommunityCredits (which creates its trees)")
        deployment = deploy_credits(w3, self.system.vks, self.depth, max_relayer_fee=MAX_RELAYER_FEE, compiled=compiled)
        for name, gas in deployment.deploy_gas.items():
            self.echo(f"   deploy {name} ({compiled[name].runtime_size:,} bytes): {gas:,} gas")
            self.gas.append((f"deploy {name}", gas))
        self.ledger = ledger = EvmLedger(deployment)
        self.echo(f"   CommunityCredits at {deployment.credits.address}: no owner, no upgrade, no withdrawal; "
                  f"clock {month(ledger.now())}")
        run_dir = self.home / "chain-demo"
        run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_dir.chmod(0o700)  # wallets refuse a directory others can read
        wallets = {}
        for name in ("alice", "bob", "operator"):
            path = run_dir / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            wallets[name] = Wallet(path, DEMO_PASSPHRASE)
        alice, bob, op = wallets["alice"], wallets["bob"], wallets["operator"]

        self.step("governance (an address: a multisig on a real chain) registers the operator, share 70%")
        Governance.generate().add(ledger, op.operator, PAYOUT, 7000)
        self.paid("registry add")

        self.step("alice buys 100 and 50 credits, each from a fresh address (the ERC-20 pays by transferFrom)")
        for amount in (100, 50):
            payment = ledger.fresh_payment(amount)
            alice.purchase(ledger, self.system, payment)
            self.echo(f"   paid by {payment.account.address}")
            self.paid(f"purchase of {amount}")
        self.echo(f"   alice's wallet rebuilt the note tree from events: {ledger.leaf_count(NOTE_TREE)} notes, "
                  f"root {ledger.root(NOTE_TREE):#x}"[:100])

        self.step("alice assigns 120 to the group's operator (both notes in, 30 back as change)")
        assignment = alice.assign(ledger, self.system, group_id("#rust-berlin"), op.operator, 120)
        self.paid("assign (two notes, no relayer)")
        op.import_assignment(export_assignment(assignment))
        op.sync(ledger)
        self.echo(f"   the operator accepted the hand-over: redeemable {op.redeemable(ledger.now())}")

        self.step(f"the operator redeems 100 to its registered payout {hex_address(PAYOUT)}")
        receipt = op.redeem(ledger, self.system, 100)
        self.paid("redeem")
        self.echo(f"   {receipt['operator_share']} to the payout, {receipt['network_share']} to the network fund "
                  f"(token balance of the payout: {ledger.payout_balance(PAYOUT)})")
        event = deployment.credits.events.Redeemed.get_logs(from_block=0)[-1]
        proof_tx = w3.eth.get_transaction(event["transactionHash"])
        _, args = deployment.credits.decode_function_input(proof_tx["input"])

        self.step("the same redemption replayed, then front-run to another payout")
        publics = RedeemPublic.from_list(args["input"])
        proof_args = (args["a"], args["b"], args["c"])
        for label, values in (("replay", publics.as_list()),
                              ("front-run", [ATTACKER_PAYOUT if i == 5 else v for i, v in enumerate(publics.as_list())])):
            try:
                ledger._transact(deployment.credits.functions.redeem(*proof_args, values))
                raise AssertionError(f"the {label} was accepted")
            except LedgerError as exc:
                self.echo(f"   {label}: REFUSED ({exc})")

        self.step("bob buys 30 and assigns them through a relayer, whose fee comes from the network fund")
        bob.purchase(ledger, self.system, ledger.fresh_payment(30))
        self.paid("purchase of 30")
        bob.assign(ledger, self.system, group_id("#rust-berlin"), op.operator, 30, relayer=RELAYER, fee=MAX_RELAYER_FEE)
        self.paid("assign (one note, relayer paid)")
        self.echo(f"   relayer {address_of(RELAYER)} received {ledger.payout_balance(RELAYER)}; network fund "
                  f"{ledger.network_fund}")

        start = ledger.now()
        year, mon = epoch_to_month(start + 12)
        self.step(f"a year passes (clock {year:04d}-{mon:02d}): the credits of {month(start)} expire; anyone sweeps")
        from datetime import datetime, timezone

        target = int(datetime(year, mon, 1, 1, tzinfo=timezone.utc).timestamp())
        node.rpc("evm_increaseTime", target - w3.eth.get_block("latest")["timestamp"])
        node.rpc("evm_mine")
        swept = ledger.sweep_expired()
        self.paid("sweep")
        self.echo(f"   released to the network fund: {', '.join(f'{month(e)}: {a}' for e, a in swept)}")
        released = ledger.release_network_fund()
        self.paid("release of the network fund")
        self.echo(f"   {released} paid to the network fund's address {deployment.network_fund}; the contract holds "
                  f"{ledger.token.functions.balanceOf(deployment.credits.address).call()}")

        self.step("gas of each step")
        for what, gas in self.gas:
            self.echo(f"   {what:45s} {gas:>10,}")
        for wallet in wallets.values():
            wallet.close()
        buckets = ", ".join(f"{month(b.epoch)}: bought {b.purchased}, redeemed {b.debited}, swept {b.swept}"
                            for b in ledger.buckets())
        self.echo(f"\nbuckets: {buckets}\nassignments in the tree: {ledger.leaf_count(ASSIGN_TREE)}")


def run_demo(home: str | Path | None = None, depth: int = DEFAULT_DEPTH, echo: Callable[[str], None] = print,
             system: CreditsSystem | None = None) -> None:
    """`system`: keys already loaded for `depth` (tests); default: HOME/keys, set up if missing."""
    from zk.chain.node import LocalNode

    with LocalNode() as node:
        ChainStory(Path(home) if home else default_home(), depth, echo, system).run(node)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH, help="tree depth (default 20)")
    parser.add_argument("--home", default=None, help="data directory (keys are cached in HOME/keys)")
    args = parser.parse_args(argv)
    run_demo(args.home, args.depth)


if __name__ == "__main__":
    main()

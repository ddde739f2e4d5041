"""`zk credits ...`: Community Credits (docs/PROTOCOL.md) on a local data directory. Registered with
the `zk` command through the `zk.commands` entry point (pyproject.toml); zk itself never names it.

    zk credits init --depth 20                       # HOME = --home, $ZK_CREDITS_HOME or ./.credits
    zk credits setup                                 # Groth16 keys for the three circuits (cached)
    zk credits wallet create alice ; zk credits wallet create op
    zk credits registry add --operator-wallet op --payout 0x1234... --share 7000   # governance signs
    zk credits purchase --wallet alice --amount 100  # simulated payment from a fresh address
    zk credits assign --wallet alice --amount 60 --group my-group --to-operator-wallet op
    zk credits assign ... --operator-address 0x... -o assignment.json ; zk credits accept --wallet op assignment.json
    zk credits redeem --wallet op --amount 40        # to op's registered payout
    zk credits status ; zk credits advance-epoch 12 ; zk credits sweep
    zk credits demo                                  # the whole story, every proof verified

    zk credits --chain http://127.0.0.1:8545 deploy  # the contracts on a node (HOME/chain/deployment.json)
    zk credits --chain URL wallet create alice ; zk credits --chain URL registry add ...
    zk credits --chain URL purchase|assign|redeem|sweep|status ...   # the same flows against the contracts

Every refusal (bad input, unknown wallet, insufficient credits, a ledger check) is one line on
stderr and exit status 2; the ledger and wallets change only when an operation completes.
"""
from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
from pathlib import Path

import click

from zk.cli import UserError


def _refusals():
    from circuits.app.home import HomeError
    from circuits.app.ledger import LedgerError
    from circuits.protocol import ProtocolError
    from circuits.app.system import KeyCacheError
    from circuits.app.vault import VaultError
    from circuits.app.wallet import WalletError
    from zk.groth16 import Groth16Error
    from zk.r1cs import CircuitError, WitnessError

    return (HomeError, LedgerError, WalletError, VaultError, ProtocolError, KeyCacheError, Groth16Error,
            CircuitError, WitnessError)


def _chain_errors():
    """What web3 raises when the node refuses a transaction or stops answering (--chain)."""
    try:
        from requests.exceptions import RequestException
        from web3.exceptions import Web3Exception
    except ImportError:  # no chain extra: nothing to catch
        return ()
    return (Web3Exception, RequestException)


def _friendly(command):
    """Turn the library's refusals into one line and exit status 2 (never a traceback)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from circuits.app.ledger import InvariantViolation, LedgerError

        try:
            return command(*args, **kwargs)
        except _refusals() as exc:
            prefix = "refused by the ledger: " if isinstance(exc, LedgerError) else ""
            raise UserError(prefix + str(exc)) from None
        except _chain_errors() as exc:
            raise UserError(f"the chain node: {(str(exc).splitlines() or [type(exc).__name__])[0][:300]}") from None
        except InvariantViolation as exc:
            raise click.ClickException(f"LEDGER INVARIANT VIOLATED: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise UserError(f"database error: {exc} (is the file corrupted or locked?)") from None

    return wrapper


class _Progress:
    """The progress display while proving: each stage on stderr with the elapsed time."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.start = time.perf_counter()

    def restart(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"  [{time.perf_counter() - self.start:6.2f} s] {message}", err=True)


def _passphrase(name: str, create: bool) -> str:
    """$ZK_CREDITS_PASSPHRASE for scripts, otherwise a prompt (twice when creating)."""
    from circuits.app.vault import ENV_PASSPHRASE

    value = os.environ.get(ENV_PASSPHRASE)
    if value:
        return value
    value = click.prompt(f"passphrase for wallet {name}", hide_input=True, confirmation_prompt=create,
                         err=True, default="", show_default=False)
    if not value:
        raise UserError(f"wallet {name!r} needs a passphrase (prompt, or ${ENV_PASSPHRASE} for scripts)")
    return value


class _Ctx:
    def __init__(self, home: str | None, quiet: bool, chain: str | None = None):
        from circuits.app.home import Home

        self.home = Home(home, passphrase=_passphrase)
        self.progress = _Progress(quiet)
        self._verifier = None
        self.chain_url = chain
        self.chain = None  # circuits.app.chain.home.ChainHome once connected
        self._evm = None

    def connect(self, open_deployment: bool = True) -> None:
        """--chain: reach the node; unless deploying, open the recorded deployment (which also
        points the home's wallets at that deployment's own directory)."""
        try:
            from circuits.app.chain.home import ChainHome
        except ImportError as exc:
            raise UserError(f"--chain needs web3 (the `chain` extra: pip install 'zk[chain]'): {exc}") from None
        self.chain = ChainHome(self.home, self.chain_url)
        if open_deployment:
            self._evm = self.chain.ledger(self.home.system())

    def require_sqlite(self, what: str) -> None:
        if self.chain_url is not None:
            raise UserError(f"{what} is for the local SQLite ledger; on a chain the block time is the clock")

    @property
    def verifier(self):
        from circuits.app.home import TimedVerifier

        if self._verifier is None:
            self._verifier = TimedVerifier(self.home.system())
        return self._verifier

    def system(self):
        system = self.home.system()
        system.progress = self.progress
        return system

    def ledger(self):
        """The ledger that verifies proofs: the SQLite one, or the contracts (--chain)."""
        return self._evm if self._evm is not None else self.home.ledger(self.verifier)

    def reader(self):
        """The ledger for reading and for changes without proofs (registry, sweep, status)."""
        return self._evm if self._evm is not None else self.home.ledger(_no_verify())

    def payment(self, amount: int):
        """A purchase's payment: a simulated one from a fresh address, or on a chain a fresh
        address funded with test tokens (the user funds it on a real chain)."""
        from circuits.app.home import simulated_payment

        if self._evm is not None:
            payment = self._evm.fresh_payment(amount)
            click.echo(f"payment: {amount} test tokens from fresh address {payment.account.address}")
            return payment
        payment = simulated_payment(amount)
        click.echo(f"simulated payment: {amount} from fresh address {payment.payer} (tx {payment.payment_id})")
        return payment

    def report_proof(self, circuit: str) -> None:
        timing = self.home.system().last_timing
        line = f"{circuit} proof: solve {timing.solve_seconds:.2f} s + prove {timing.prove_seconds:.2f} s"
        if self._evm is not None:
            click.echo(f"{line}; verified by the contract: {self._evm.last_gas:,} gas")
            return
        check = self.verifier.last
        if check is not None:
            line += f"; verified by the ledger in {check[2] * 1000:.0f} ms: {'valid' if check[1] else 'INVALID'}"
        click.echo(line)


pass_ctx = click.make_pass_decorator(_Ctx)


def _positive_amount(amount: int) -> int:
    from circuits.protocol import MAX_AMOUNT

    if amount <= 0:
        raise UserError(f"the amount must be positive, got {amount}")
    if amount > MAX_AMOUNT:
        raise UserError(f"the amount must be below 2^64, got {amount}")
    return amount


@click.group("credits")
@click.option("--home", envvar="ZK_CREDITS_HOME", default=None, metavar="DIR",
              help="Data directory (ledger, wallets, keys). Default: $ZK_CREDITS_HOME or ./.credits")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines while proving.")
@click.option("--chain", envvar="ZK_CREDITS_CHAIN", default=None, metavar="URL",
              help="Run against the contracts on the node at this JSON-RPC URL (after `deploy`) instead of "
                   "HOME's SQLite ledger. Sender: $ZK_CREDITS_CHAIN_KEY, else the node's first unlocked account.")
@click.pass_context
def credits(ctx: click.Context, home: str | None, quiet: bool, chain: str | None) -> None:
    """Community Credits: prepaid, unlinkable infrastructure credits (docs/PROTOCOL.md)."""
    ctx.obj = _Ctx(home, quiet, chain)
    if chain is not None and not ctx.resilient_parsing:
        from circuits.app.home import HomeError
        from circuits.app.system import KeyCacheError

        try:
            ctx.obj.connect(open_deployment=ctx.invoked_subcommand not in ("deploy", "init", "setup", "ceremony"))
        except (HomeError, KeyCacheError) as exc:
            raise UserError(str(exc)) from None


@credits.command("deploy")
@click.option("--max-relayer-fee", type=click.IntRange(0, (1 << 64) - 1), default=0, show_default=True,
              help="The most a relayer may take from the network fund per assignment.")
@click.option("--network-fund", default=None, metavar="ADDRESS",
              help="Where the network fund is released to (immutable; default: the deployer).")
@pass_ctx
@_friendly
def deploy_command(ctx: _Ctx, max_relayer_fee: int, network_fund: str | None) -> None:
    """Deploy the contracts (verifiers from HOME/keys, trees of HOME's depth, the operator registry
    governed by the sender, a test stablecoin, CommunityCredits) to the --chain node."""
    from circuits.app.home import HomeError, hex_address, parse_payout

    if ctx.chain is None:
        raise UserError("deploy needs --chain URL (the node to deploy to)")
    fund = None
    if network_fund is not None:
        from web3 import Web3

        try:
            fund = Web3.to_checksum_address(hex_address(parse_payout(network_fund)))
        except HomeError:
            raise UserError(f"--network-fund must be a chain address (0x and 40 hex digits), got {network_fund!r}") from None
    deployment, record = ctx.chain.deploy(ctx.home.system(), max_relayer_fee, fund)
    for name, gas in deployment.deploy_gas.items():
        click.echo(f"deployed {name}: {gas:,} gas")
    click.echo(f"CommunityCredits at {record['credits']} on chain {record['chain_id']} (block {record['block']}), "
               f"depth {record['depth']}; registry governed by {record['governance']}")
    click.echo(f"recorded in {ctx.chain.record_path}; next: `zk credits --chain {ctx.chain.url} wallet create NAME`")


@credits.command("init")
@click.option("--depth", type=int, default=20, show_default=True, help="Merkle tree depth (2^depth notes).")
@click.option("--now", "now", metavar="YYYY-MM", default=None, help="Start the simulated clock here (default: this month).")
@pass_ctx
@_friendly
def init_command(ctx: _Ctx, depth: int, now: str | None) -> None:
    """Create a ledger in the data directory, with a new governance key for its operator registry."""
    from circuits.app.home import Home, month, parse_month

    home = Home.create(ctx.home.path, depth, parse_month(now) if now else None)
    click.echo(f"created {home.path}: depth {depth}, clock {month(home.now())}")
    click.echo(f"governance key (signs operator registry changes) in {home.governance_path}: public key "
               f"{home.governance().public_key.hex()}")
    click.echo("next: `zk credits setup` (Groth16 keys for the three circuits), `zk credits registry add` (operators)")


@credits.command("setup")
@click.option("--force", is_flag=True, help="Discard cached keys of these circuits and run setup again.")
@click.option("--ptau", "ptau", metavar="POT.ptau", type=click.Path(dir_okay=False), default=None,
              help="Start a trusted-setup ceremony from this powers-of-tau file instead of a single-party setup "
                   "(then `zk credits ceremony contribute` ... `beacon`).")
@pass_ctx
@_friendly
def setup_command(ctx: _Ctx, force: bool, ptau: str | None) -> None:
    """Compile the three circuits and make their Groth16 keys (cached in HOME/keys); with --ptau,
    their initial .zkey files for a phase-2 ceremony (HOME/ceremony)."""
    if ptau is not None:
        _ceremony_setup(ctx, ptau)
        return
    from circuits.app.home import export_solidity_verifiers
    from circuits.app.system import CreditsSystem, circuit_classes, key_paths, write_manifest
    from zk.r1cs import compile

    home = ctx.home
    depth = home.depth
    if numba_cache_is_cold():
        click.echo("first run: numba compiles the field, curve and MSM kernels "
                   "(one to two minutes on a 2-core machine, cached afterwards)", err=True)
    if force:
        for name, circuit in circuit_classes(depth).items():
            for path in key_paths(home.key_dir, name, compile(circuit)):
                path.unlink(missing_ok=True)
    click.echo("single-party setup: fine for development; production keys need a multi-party ceremony", err=True)
    system = CreditsSystem.load(depth, home.key_dir, progress=ctx.progress)
    write_manifest(system, home.key_dir)
    for name, keys in system.keys.items():
        how = f"setup {keys.setup_seconds:.1f} s" if keys.setup_seconds else "cached keys checked"
        click.echo(f"{name:8s} {keys.cs.n_constraints:6d} constraints, {keys.cs.n_public} public inputs ({how})")
    click.echo(f"keys in {home.key_dir}")
    for path in export_solidity_verifiers(system, home.path):
        click.echo(f"wrote {path}")


# ------------------------------------------------------------------------------------ ceremony
def _ceremony_errors():
    from circuits.app.ceremony import CeremonyStateError
    from zk.ceremony.phase2 import CeremonyError, VerificationFailed
    from zk.formats.binio import BinaryFormatError
    from zk.formats.ptau import PtauError
    from zk.formats.zkey import ZkeyFormatError

    return (CeremonyStateError, CeremonyError, VerificationFailed, PtauError, BinaryFormatError, ZkeyFormatError,
            OSError)


def _ceremony(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except _ceremony_errors() as exc:
        if isinstance(exc, OSError):
            raise UserError(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None
        raise UserError(str(exc)) from None


def _hashes(title: str, hashes: dict) -> None:
    from zk.ceremony.keypair import format_hash

    for name, digest in hashes.items():
        if isinstance(digest, list):
            for i, d in enumerate(digest, 1):
                click.echo(format_hash(d, f"{name} contribution #{i}:"))
        else:
            click.echo(format_hash(digest, f"{name} {title}:"))


def _bar(label: str, total: int):
    from zk.cli import progress_bar

    return progress_bar(label, total)


def _ceremony_setup(ctx: _Ctx, ptau: str) -> None:
    from circuits.app import ceremony

    directory = ctx.home.path / "ceremony"
    hashes = _ceremony(ceremony.setup, directory, ctx.home.depth, ptau, progress=_bar)
    _hashes("circuit hash", hashes)
    click.echo(f"initial keys in {directory}: they have no contribution yet; next: "
               "`zk credits ceremony contribute` by each participant, then `zk credits ceremony beacon`")


@credits.group("ceremony")
def ceremony_group() -> None:
    """Phase 2 of the trusted setup for the three circuits (snarkjs-compatible .zkey files)."""


@ceremony_group.command("contribute")
@click.option("--name", default=None, help="Your name or handle, stored in the contributions.")
@click.option("-e", "--entropy", default="", help="Extra entropy text (hashed with 64 bytes of the OS CSPRNG).")
@pass_ctx
@_friendly
def ceremony_contribute(ctx: _Ctx, name: str | None, entropy: str) -> None:
    """Contribute to every circuit's key; publish the printed hashes."""
    from circuits.app import ceremony

    _hashes("contribution hash", _ceremony(ceremony.contribute, ctx.home.path / "ceremony", name=name,
                                           entropy=entropy, progress=_bar))


@ceremony_group.command("beacon")
@click.argument("beacon_hash", metavar="BEACON_HASH_HEX")
@click.argument("exp", metavar="NUM_ITERATIONS_EXP", type=click.IntRange(10, 63))
@pass_ctx
@_friendly
def ceremony_beacon(ctx: _Ctx, beacon_hash: str, exp: int) -> None:
    """Finish the ceremony with a public random value (a future block hash) and install the keys."""
    from circuits.app import ceremony

    try:
        raw = bytes.fromhex(beacon_hash)
    except ValueError:
        raise UserError(f"beacon hash {beacon_hash[:40]!r} is not hexadecimal") from None
    if not 1 <= len(raw) <= 255:
        raise UserError("the beacon hash must be 1 to 255 bytes")
    hashes = _ceremony(ceremony.beacon, ctx.home.path / "ceremony", ctx.home.key_dir, raw, exp, progress=_bar)
    _hashes("beacon contribution hash", hashes)
    click.echo(f"final keys installed in {ctx.home.key_dir}")


@ceremony_group.command("verify")
@click.option("--expect", "expect_file", metavar="HASHES.json", type=click.Path(dir_okay=False), default=None,
              help='The published hashes: {"purchase": ["hex", ...], "assign": [...], "redeem": [...]}.')
@pass_ctx
@_friendly
def ceremony_verify(ctx: _Ctx, expect_file: str | None) -> None:
    """Verify every circuit's newest key against its circuit and the powers of tau; print the
    contribution hashes (exit 2 when a key does not follow or differs from the published chain)."""
    from circuits.app import ceremony
    from zk.ceremony.phase2 import normalize_hash

    expect = None
    if expect_file is not None:
        try:
            raw = json.loads(Path(expect_file).read_text())
            expect = {name: [normalize_hash(h) for h in hs] for name, hs in raw.items()}
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            raise UserError(f"{expect_file}: not a JSON object of hash lists ({exc})") from None
    hashes = _ceremony(ceremony.verify, ctx.home.path / "ceremony", expect=expect)
    _hashes("", hashes)
    click.echo("OK: every key follows from its circuit and the powers of tau" +
               (" by exactly the published contributions" if expect is not None else ""))


@credits.group("registry")
def registry_group() -> None:
    """The operator registry: only registered operators redeem, to their registered payout, at
    their registered share. Changes are signed with the governance key (HOME/governance.key)."""


def _operator_option(command):
    command = click.option("--operator-address", default=None, help="The operator's address (0x-hex or decimal).")(command)
    return click.option("--operator-wallet", default=None, help="A local wallet whose operator address this is.")(command)


def _operator(ctx: _Ctx, operator_wallet: str | None, operator_address: str | None) -> int:
    from circuits.app.home import parse_field
    from circuits.app.wallet import public_addresses

    if (operator_wallet is None) == (operator_address is None):
        raise UserError("give exactly one of --operator-wallet and --operator-address")
    if operator_wallet is not None:
        path = ctx.home.wallet_path(operator_wallet)
        if not path.exists():
            raise UserError(f"unknown wallet {operator_wallet!r}")
        return public_addresses(path)[1]
    return parse_field(operator_address, "operator address")


def _registry_change(ctx: _Ctx, op: str, operator: int, **fields) -> None:
    from circuits.app.home import hex_field

    ledger = ctx.reader()
    root = ctx.home.governance().submit(ledger, op, operator, **fields)
    click.echo(f"registry {op} for operator {hex_field(operator)[:18]}... signed by governance; "
               f"registry root {hex_field(root)[:18]}...")


@registry_group.command("add")
@_operator_option
@click.option("--payout", required=True, help="The operator's payout address (0x...).")
@click.option("--share", type=int, default=7000, show_default=True, help="Its share, basis points (at most 7000).")
@pass_ctx
@_friendly
def registry_add(ctx: _Ctx, operator_wallet, operator_address, payout: str, share: int) -> None:
    """Register an operator with its payout address and share."""
    from circuits.app.home import parse_payout

    _registry_change(ctx, "add", _operator(ctx, operator_wallet, operator_address), payout=parse_payout(payout),
                     share_bps=share)


@registry_group.command("rotate")
@_operator_option
@click.option("--payout", required=True, help="The new payout address (0x...).")
@pass_ctx
@_friendly
def registry_rotate(ctx: _Ctx, operator_wallet, operator_address, payout: str) -> None:
    """Rotate a registered operator's payout address (at the operator's request)."""
    from circuits.app.home import parse_payout

    _registry_change(ctx, "rotate", _operator(ctx, operator_wallet, operator_address), payout=parse_payout(payout))


@registry_group.command("share")
@_operator_option
@click.option("--share", type=int, required=True, help="The new share, basis points (at most 7000).")
@pass_ctx
@_friendly
def registry_share(ctx: _Ctx, operator_wallet, operator_address, share: int) -> None:
    """Change a registered operator's share."""
    _registry_change(ctx, "share", _operator(ctx, operator_wallet, operator_address), share_bps=share)


@registry_group.command("remove")
@_operator_option
@pass_ctx
@_friendly
def registry_remove(ctx: _Ctx, operator_wallet, operator_address) -> None:
    """Remove an operator: its assignments can no longer be redeemed (they expire to the network fund)."""
    _registry_change(ctx, "remove", _operator(ctx, operator_wallet, operator_address))


@registry_group.command("list")
@pass_ctx
@_friendly
def registry_list(ctx: _Ctx) -> None:
    """The registered operators, their payouts and shares."""
    for line in registry_lines(ctx.reader()):
        click.echo(line)


def registry_lines(ledger) -> list[str]:
    from circuits.app.home import hex_address, hex_field

    entries = ledger.registry.entries()
    out = [f"registry: {len(entries)} operator(s), root {hex_field(ledger.registry.root())[:18]}..."]
    for e in entries:
        out.append(f"  operator {hex_field(e.operator)[:18]}... payout {hex_address(e.payout)} share "
                   f"{e.share_bps / 100:.2f}%")
    return out


@credits.group("wallet")
def wallet_group() -> None:
    """Create and list wallets (one per user or operator)."""


@wallet_group.command("create")
@click.argument("name")
@pass_ctx
@_friendly
def wallet_create(ctx: _Ctx, name: str) -> None:
    """Create wallet NAME (a spending key and an operator key)."""
    from circuits.app.home import hex_field

    wallet = ctx.home.wallet(name, create=True)
    click.echo(f"wallet {name}: operator address {hex_field(wallet.operator)}")
    click.echo("  (give the operator address to group owners who assign credits to you; keys stay in the wallet)")


@wallet_group.command("list")
@pass_ctx
@_friendly
def wallet_list(ctx: _Ctx) -> None:
    """List the wallets and their operator addresses."""
    from circuits.app.home import hex_field

    from circuits.app.wallet import public_addresses

    for name in ctx.home.wallet_names():
        _, operator = public_addresses(ctx.home.wallet_path(name))
        click.echo(f"{name:16s} operator address {hex_field(operator)}")


@wallet_group.command("change-passphrase")
@click.argument("name")
@pass_ctx
@_friendly
def wallet_change_passphrase(ctx: _Ctx, name: str) -> None:
    """Seal wallet NAME under a new passphrase (from a prompt, or $ZK_CREDITS_NEW_PASSPHRASE)."""
    wallet = ctx.home.wallet(name)
    try:
        new = os.environ.get("ZK_CREDITS_NEW_PASSPHRASE") or click.prompt(
            f"new passphrase for wallet {name}", hide_input=True, confirmation_prompt=True, err=True)
        wallet.change_passphrase(new)
    finally:
        wallet.close()
    click.echo(f"wallet {name}: passphrase changed")


@credits.command("purchase")
@click.option("--wallet", "wallet_name", required=True, help="The buyer's wallet.")
@click.option("--amount", type=int, required=True, help="Credits to buy (smallest unit).")
@pass_ctx
@_friendly
def purchase_command(ctx: _Ctx, wallet_name: str, amount: int) -> None:
    """Buy credits with a payment from a fresh address (simulated, or on --chain a new funded address)."""
    from circuits.app.home import month

    _positive_amount(amount)
    wallet = ctx.home.wallet(wallet_name)
    ledger, system = ctx.ledger(), ctx.system()
    system.keys["purchase"]  # a broken key cache is reported before anything is paid
    payment = ctx.payment(amount)
    owned = wallet.purchase(ledger, system, payment)
    ctx.report_proof("purchase")
    click.echo(f"note {owned.leaf} bought in {month(owned.note.epoch)}: on chain note_cm, amount {amount}, "
               f"epoch {owned.note.epoch}; {wallet_name} holds {wallet.balance(ledger.now())} usable credits")


@credits.command("assign")
@click.option("--wallet", "wallet_name", required=True, help="The group owner's wallet.")
@click.option("--amount", type=int, required=True, help="Credits to assign.")
@click.option("--group", "group", required=True, help="The group or channel (its name or link; hashed).")
@click.option("--operator-address", default=None, help="The operator's address (0x-hex or decimal).")
@click.option("--to-operator-wallet", default=None, help="A local operator wallet: deliver the assignment to it.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the assignment (its opening, for the operator) to this file.")
@click.option("--fee", type=int, default=0, show_default=True, help="Relayer fee bound by the proof.")
@pass_ctx
@_friendly
def assign_command(ctx: _Ctx, wallet_name: str, amount: int, group: str, operator_address: str | None,
                   to_operator_wallet: str | None, output: str | None, fee: int) -> None:
    """Give credits to a group and its operator (spends one or two notes, change comes back)."""
    from circuits.app.home import group_id, hex_field, parse_field

    _positive_amount(amount)
    if (operator_address is None) == (to_operator_wallet is None):
        raise UserError("give exactly one of --operator-address and --to-operator-wallet")
    if to_operator_wallet is None and output is None:
        raise UserError("the operator needs the assignment: give -o FILE (or --to-operator-wallet)")
    if output is not None and Path(output).exists():
        raise UserError(f"{output} exists: not overwriting it")
    if not 0 <= fee < 1 << 64:
        raise UserError(f"the fee must be in [0, 2^64), got {fee}")
    wallet = ctx.home.wallet(wallet_name)
    operator_wallet = ctx.home.wallet(to_operator_wallet) if to_operator_wallet else None
    operator = operator_wallet.operator if operator_wallet else parse_field(operator_address, "operator address")
    gid = group_id(group)
    ledger, system = ctx.ledger(), ctx.system()
    assignment = wallet.assign(ledger, system, group=gid, operator=operator, amount=amount, fee=fee)
    ctx.report_proof("assign")
    blob = wallet.export_assignment(assignment)
    click.echo(f"assigned {amount} credits to group {group!r} (id {hex_field(gid)[:18]}...) for operator "
               f"{hex_field(operator)[:18]}...; {wallet_name} keeps {wallet.balance(ledger.now())} usable credits")
    if output is not None:
        _write_new(output, blob)
        click.echo(f"wrote {output}: hand it to the operator over a private channel (`zk credits accept`)")
    if operator_wallet is not None:
        operator_wallet.import_assignment(blob)
        operator_wallet.sync(ledger)
        click.echo(f"delivered to wallet {to_operator_wallet}")


def _write_new(path: str, text: str) -> None:
    try:
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


@credits.command("accept")
@click.option("--wallet", "wallet_name", required=True, help="The operator's wallet.")
@click.argument("assignment_file", metavar="ASSIGNMENT.json", type=click.Path(dir_okay=False))
@pass_ctx
@_friendly
def accept_command(ctx: _Ctx, wallet_name: str, assignment_file: str) -> None:
    """Import an assignment a group owner made out to this operator."""
    from circuits.app.home import month

    try:
        blob = Path(assignment_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {assignment_file}: {getattr(exc, 'strerror', None) or exc}") from None
    wallet = ctx.home.wallet(wallet_name)
    assignment = wallet.import_assignment(blob)
    wallet.sync(ctx.reader())
    received = {a.assignment.commitment for a in wallet.assignments("unspent")}
    spent = {a.assignment.commitment for a in wallet.assignments("spent")}
    state = ("usable" if assignment.commitment in received else "already redeemed" if assignment.commitment in spent
             else "not on the ledger yet")
    click.echo(f"accepted {assignment.amount} credits of {month(assignment.epoch)} into {wallet_name} ({state}); "
               f"redeemable now: {wallet.redeemable(ctx.home.now())}")


def _no_verify():
    from circuits.app.home import _NoVerifier

    return _NoVerifier()


@credits.command("redeem")
@click.option("--wallet", "wallet_name", required=True, help="The operator's wallet.")
@click.option("--amount", type=int, required=True, help="Credits to redeem.")
@click.option("--payout", default=None,
              help="The operator's registered payout address (0x...; default: the registered one).")
@pass_ctx
@_friendly
def redeem_command(ctx: _Ctx, wallet_name: str, amount: int, payout: str | None) -> None:
    """Redeem assigned credits: the operator's registered share to its registered payout, the rest
    to the network fund."""
    from circuits.app.home import hex_address, parse_payout

    _positive_amount(amount)
    requested = parse_payout(payout) if payout is not None else None
    wallet = ctx.home.wallet(wallet_name)
    ledger, system = ctx.ledger(), ctx.system()
    receipt = wallet.redeem(ledger, system, amount, requested)
    address = ledger.registry.entry(wallet.operator).payout
    ctx.report_proof("redeem")
    click.echo(f"redeemed {amount}: {receipt['operator_share']} to {hex_address(address)}, "
               f"{receipt['network_share']} to the network fund; {wallet_name} can still redeem "
               f"{wallet.redeemable(ledger.now())}")


@credits.command("sweep")
@pass_ctx
@_friendly
def sweep_command(ctx: _Ctx) -> None:
    """Release expired months' unredeemed credits to the network fund."""
    from circuits.app.home import month

    ledger = ctx.reader()
    swept = ledger.sweep_expired()
    if not swept:
        click.echo(f"nothing expired at {month(ledger.now())}")
    for epoch, amount in swept:
        click.echo(f"swept {month(epoch)}: {amount} to the network fund")
    click.echo(f"network fund: {ledger.network_fund}")


@credits.command("advance-epoch")
@click.argument("months", type=int, default=1)
@pass_ctx
@_friendly
def advance_command(ctx: _Ctx, months: int) -> None:
    """Move the simulated clock MONTHS months forward (default 1)."""
    from circuits.app.home import month

    ctx.require_sqlite("advance-epoch")
    click.echo(f"clock: {month(ctx.home.advance(months))}")


@credits.command("clock")
@click.option("--now", "now", metavar="YYYY-MM", default=None, help="Set the simulated clock (forward only).")
@pass_ctx
@_friendly
def clock_command(ctx: _Ctx, now: str | None) -> None:
    """Show (or move forward) the simulated clock."""
    from circuits.app.home import month, parse_month

    ctx.require_sqlite("clock")
    if now is not None:
        ctx.home.set_clock(parse_month(now))
    click.echo(f"clock: {month(ctx.home.now())} (epoch {ctx.home.now()})")


@credits.command("status")
@click.option("--check/--no-check", default=True, show_default=True, help="Run the ledger's invariant checks.")
@pass_ctx
@_friendly
def status_command(ctx: _Ctx, check: bool) -> None:
    """The ledger (buckets, fund split, payouts) and every wallet's credits."""
    ledger = ctx.reader()
    for line in status_lines(ledger, ctx.home):
        click.echo(line)
    if check:
        ledger.check_invariants()
        click.echo("invariants: OK (books balance, trees match their leaves)")


def status_lines(ledger, home) -> list[str]:
    from circuits.app.home import hex_address, month
    from circuits.app.ledger import ASSIGN_TREE, NOTE_TREE
    from circuits.protocol import LIFETIME, is_usable

    now = ledger.now()
    totals = ledger.totals()
    where = (f"CommunityCredits {ledger.credits.address} on chain {ledger.w3.eth.chain_id}"
             if hasattr(ledger, "credits") else f"ledger {home.path}")
    out = [f"{where}: clock {month(now)}, depth {ledger.depth}, {ledger.leaf_count(NOTE_TREE)} notes, "
           f"{ledger.leaf_count(ASSIGN_TREE)} assignments"]
    out += registry_lines(ledger)
    out.append("  month    purchased  redeemed    swept  remaining  state")
    for b in ledger.buckets():
        state = f"open until {month(b.epoch + LIFETIME - 1)}" if b.open else "expired, swept"
        out.append(f"  {month(b.epoch)} {b.purchased:10d} {b.debited:9d} {b.swept:8d} {b.remaining:10d}  {state}")
    redeemed = totals["operator_payouts"] + totals["network_from_redemptions"]
    out.append(f"  paid in {totals['payments']}; redeemed {redeemed}: operators {totals['operator_payouts']}, "
               f"network {totals['network_from_redemptions']}; swept to network {totals['network_from_sweeps']}; "
               f"network fund {ledger.network_fund}")
    for address, amount in ledger.payout_balances().items():
        out.append(f"  payout {hex_address(address)}: {amount}")
    for name in home.wallet_names():
        wallet = home.wallet(name)
        try:
            wallet.sync(ledger)
            notes = wallet.notes()
            usable = sum(n.note.amount for n in notes if is_usable(n.note.epoch, now))
            expired = sum(n.note.amount for n in notes if not is_usable(n.note.epoch, now))
            given = wallet.assignments("given", "given")
            received = wallet.assignments()
            parts = [f"notes {usable} usable" + (f" ({expired} expired)" if expired else "")]
            if given:
                parts.append(f"assigned {sum(a.assignment.amount for a in given)} in {len(given)} assignment(s)")
            if received:
                lapsed = sum(a.assignment.amount for a in received if not is_usable(a.assignment.epoch, now))
                parts.append(f"redeemable {wallet.redeemable(now)}" + (f" ({lapsed} expired)" if lapsed else ""))
            out.append(f"  wallet {name}: " + ", ".join(parts))
        finally:
            wallet.close()
    return out


@credits.command("demo")
@click.option("--depth", type=int, default=20, show_default=True, help="Merkle tree depth of the demo ledger.")
@click.option("--ceremony", "ceremony_ptau", metavar="POT.ptau", type=click.Path(dir_okay=False), default=None,
              help="Make the keys in a phase-2 ceremony over this powers of tau (two contributions and a beacon, "
                   "hashes printed) instead of a single-party setup. Depth 20 needs power 14 or more.")
@pass_ctx
@_friendly
def demo_command(ctx: _Ctx, depth: int, ceremony_ptau: str | None) -> None:
    """The whole story with real proofs, on a fresh ledger in HOME/demo (keys cached in HOME/keys)."""
    from circuits.app.demo import run_demo

    if ceremony_ptau is not None:
        _ceremony(run_demo, ctx.home.path, depth=depth, echo=click.echo, ceremony_ptau=ceremony_ptau)
        return
    run_demo(ctx.home.path, depth=depth, echo=click.echo)


def numba_cache_is_cold() -> bool:
    """Heuristic: no cached MSM kernel yet means this run compiles the numba kernels."""
    import os

    import zk

    roots = [Path(os.environ["NUMBA_CACHE_DIR"])] if os.environ.get("NUMBA_CACHE_DIR") else [Path(zk.__file__).parent]
    return not any(any(root.rglob("pippenger*.nbi")) for root in roots if root.is_dir())

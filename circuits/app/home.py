"""A Community Credits data directory, as the `zk credits` commands and the demo use it.

    HOME/config.json        depth, the simulated clock (an epoch)
    HOME/ledger.db          the ledger (circuits.app.ledger), with the operator registry
    HOME/governance.key     the governance key that signs registry changes (0600; the network's
                            governance holds it, on a real network a multisig)
    HOME/wallets/NAME.db    one wallet per user or operator (circuits.app.wallet)
    HOME/keys/              Groth16 keys per circuit (.pk + snarkjs .vkey.json) and manifest.json
    HOME/*.sol              Solidity verifiers of the three circuits

The clock is simulated so that a demo can move through months: it only moves forward, as a
chain's time does (moving it back would make swept months redeemable again).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from pathlib import Path

from circuits.app.ledger import Ledger, Payment
from circuits.app.registry import Governance
from circuits.app.vault import SCRYPT_N, make_private_dir, private_umask, require_private
from circuits.protocol import DEFAULT_DEPTH, PAYOUT_BITS, ProtocolError, current_epoch, epoch_of, epoch_to_month
from zk.r1cs.field import R

CONFIG_FORMAT = "zk-credits/home"
CONFIG_VERSION = 2  # 2: no ledger-wide operator share (protocol 0.3: shares are per operator, in the registry)
DEFAULT_HOME = ".credits"
HOME_ENV = "ZK_CREDITS_HOME"
SOLIDITY_CONTRACTS = {"purchase": "Purchase", "assign": "Assign", "redeem": "Redeem"}
_WALLET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")


class HomeError(ValueError):
    """A problem with the data directory or with a value given to it (one line for the user)."""


def default_home() -> Path:
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)


# ---------------------------------------------------------------------------- value parsing
def parse_month(text: str) -> int:
    """'YYYY-MM' -> epoch."""
    m = _MONTH.match(text.strip())
    if not m:
        raise HomeError(f"expected a month as YYYY-MM, got {text!r}")
    try:
        return epoch_of(int(m.group(1)), int(m.group(2)))
    except ProtocolError as exc:
        raise HomeError(str(exc)) from None


def month(epoch: int) -> str:
    year, mon = epoch_to_month(epoch)
    return f"{year:04d}-{mon:02d}"


def parse_field(text: str, what: str) -> int:
    """A field element written in decimal or 0x-hex."""
    text = text.strip()
    try:
        value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        raise HomeError(f"{what} must be a decimal or 0x-hex number, got {text!r}") from None
    if not 0 <= value < R:
        raise HomeError(f"{what} must be a field element in [0, r), got {text!r}")
    return value


def parse_payout(text: str) -> int:
    """A chain address: 0x and at most 40 hex digits."""
    text = text.strip()
    if not re.fullmatch(r"0x[0-9a-fA-F]{1,40}", text):
        raise HomeError(f"payout must be a chain address (0x and up to 40 hex digits), got {text!r}")
    value = int(text, 16)
    assert value >> PAYOUT_BITS == 0
    return value


def group_id(name: str) -> int:
    """The group's identifier in commitments: a hash of its name or link (never on chain)."""
    if not name:
        raise HomeError("the group name is empty")
    digest = hashlib.sha256(b"zk-credits/group:" + name.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % R


def hex_field(value: int) -> str:
    return f"{value:#066x}"


def hex_address(value: int) -> str:
    return f"{value:#042x}"


def simulated_payment(amount: int) -> Payment:
    """A payment from a fresh address, as the chain would show it (transaction id, payer, value)."""
    return Payment("0x" + secrets.token_hex(32), "0x" + secrets.token_hex(20), amount)


# ------------------------------------------------------------------------------- the home
def passphrase_from_env(name: str, create: bool) -> str:
    """The default passphrase source: $ZK_CREDITS_PASSPHRASE (for scripts; the CLI prompts)."""
    from circuits.app.vault import ENV_PASSPHRASE

    value = os.environ.get(ENV_PASSPHRASE)
    if not value:
        raise HomeError(f"wallet {name!r} needs a passphrase: set {ENV_PASSPHRASE} or run interactively")
    return value


class Home:
    """A data directory: config, ledger, keys, wallets. ``passphrase(name, create)`` supplies each
    wallet's passphrase (default: $ZK_CREDITS_PASSPHRASE; the CLI prompts; the demo states its own)."""

    def __init__(self, path: str | os.PathLike | None = None, passphrase=passphrase_from_env):
        self.passphrase = passphrase
        self.path = Path(path) if path is not None else default_home()
        self.config_path = self.path / "config.json"
        self.ledger_path = self.path / "ledger.db"
        self.wallet_dir = self.path / "wallets"
        self.key_dir = self.path / "keys"
        self.governance_path = self.path / "governance.key"
        self._config: dict | None = None
        self._system = None

    # ---------------------------------------------------------------- creation and config
    @classmethod
    def create(cls, path, depth: int = DEFAULT_DEPTH, epoch: int | None = None,
               governance: Governance | None = None) -> "Home":
        """A new home with a fresh ledger governed by ``governance`` (default: a new key, written to
        HOME/governance.key)."""
        home = cls(path)
        if home.config_path.exists() or home.ledger_path.exists():
            raise HomeError(f"{home.path} already holds a ledger (use another --home, or remove it)")
        if not isinstance(depth, int) or not 1 <= depth <= 32:
            raise HomeError(f"the tree depth must be 1..32, got {depth!r}")
        epoch = current_epoch() if epoch is None else epoch
        governance = governance or Governance.generate()
        home.path.mkdir(parents=True, exist_ok=True)
        make_private_dir(home.wallet_dir)
        with private_umask():
            _write_atomic(home.governance_path, governance.private_bytes().hex())
        home._write_config({"format": CONFIG_FORMAT, "version": CONFIG_VERSION, "depth": depth, "epoch": epoch})
        Ledger(home.ledger_path, _NoVerifier(), governance=governance.public_key, now=home.now, depth=depth).close()
        return home

    def governance(self) -> Governance:
        """The governance key of this home's ledger (HOME/governance.key)."""
        try:
            mode = self.governance_path.stat().st_mode & 0o777
            if mode & 0o077:
                raise HomeError(f"{self.governance_path} is accessible to group or others (mode {mode:04o}); "
                                f"refusing to use it: run `chmod 600 {self.governance_path}`")
            raw = bytes.fromhex(self.governance_path.read_text().strip())
            return Governance.from_bytes(raw)
        except FileNotFoundError:
            raise HomeError(f"no governance key in {self.governance_path}: only the network's governance "
                            "may change the operator registry") from None
        except (OSError, ValueError) as exc:
            raise HomeError(f"{self.governance_path}: not a governance key ({exc})") from None

    @property
    def config(self) -> dict:
        if self._config is None:
            try:
                data = json.loads(self.config_path.read_bytes())
            except FileNotFoundError:
                raise HomeError(f"{self.path} is not a credits home: run `zk credits init` "
                                f"(or pass --home / set {HOME_ENV})") from None
            except (OSError, ValueError) as exc:
                raise HomeError(f"{self.config_path} is unreadable: {exc}") from None
            ok = (isinstance(data, dict) and data.get("format") == CONFIG_FORMAT
                  and data.get("version") == CONFIG_VERSION
                  and all(isinstance(data.get(k), int) and not isinstance(data.get(k), bool)
                          for k in ("depth", "epoch")))
            if not ok:
                raise HomeError(f"{self.config_path} is not a valid credits configuration of version {CONFIG_VERSION} "
                                "(homes made before the operator registry: create a new one)")
            self._config = data
        return self._config

    def _write_config(self, data: dict) -> None:
        _write_atomic(self.config_path, json.dumps(data, indent=1, sort_keys=True))
        self._config = data

    @property
    def depth(self) -> int:
        return self.config["depth"]

    # ---------------------------------------------------------------- the simulated clock
    def now(self) -> int:
        return self.config["epoch"]

    def set_clock(self, epoch: int) -> int:
        current = self.now()
        if epoch < current:
            raise HomeError(f"the clock only moves forward: it is {month(current)}, cannot go back to {month(epoch)}")
        self._write_config({**self.config, "epoch": epoch})
        return epoch

    def advance(self, months: int) -> int:
        if not isinstance(months, int) or months < 0:
            raise HomeError(f"advance by a non-negative number of months, got {months!r}")
        return self.set_clock(self.now() + months)

    # ---------------------------------------------------------------- keys, ledger, wallets
    def system(self):
        """The circuits' keys from HOME/keys (made by `zk credits setup`)."""
        if self._system is None:
            from circuits.app.system import CachedCreditsSystem

            self._system = CachedCreditsSystem(self.depth, self.key_dir)
        return self._system

    def ledger(self, verifier=None) -> Ledger:
        self.config  # a missing home is reported as such, not as an empty new ledger
        return Ledger(self.ledger_path, verifier if verifier is not None else self.system(), now=self.now,
                      depth=self.depth)

    def wallet_path(self, name: str) -> Path:
        if not isinstance(name, str) or not _WALLET_NAME.match(name):
            raise HomeError(f"a wallet name is letters, digits, '_', '-', '.' (at most 64), got {name!r}")
        return self.wallet_dir / f"{name}.db"

    def wallet(self, name: str, create: bool = False):
        from circuits.app.wallet import Wallet

        self.config
        path = self.wallet_path(name)
        if create:
            if path.exists():
                raise HomeError(f"wallet {name!r} already exists")
            make_private_dir(self.wallet_dir)
        elif not path.exists():
            known = ", ".join(self.wallet_names()) or "none yet"
            raise HomeError(f"unknown wallet {name!r} (wallets: {known}; create one with "
                            f"`zk credits wallet create {name}`)")
        else:
            require_private(self.wallet_dir)
        if not create:
            return Wallet(path, self.passphrase(name, create))
        # $ZK_CREDITS_SCRYPT_N lowers the KDF cost of new wallets (power of two >= 2^10) for
        # scripts and tests on small machines; the default is circuits.app.vault.SCRYPT_N.
        cost = os.environ.get("ZK_CREDITS_SCRYPT_N")
        try:
            scrypt_n = int(cost) if cost else SCRYPT_N
        except ValueError:
            raise HomeError(f"ZK_CREDITS_SCRYPT_N must be a power of two, got {cost!r}") from None
        return Wallet(path, self.passphrase(name, create), scrypt_n=scrypt_n)

    def wallet_names(self) -> list[str]:
        if not self.wallet_dir.is_dir():
            return []
        return sorted(p.stem for p in self.wallet_dir.glob("*.db") if _WALLET_NAME.match(p.stem))

    def operator_wallet_for(self, operator: int) -> str | None:
        """The local wallet whose operator address this is (the demo and CLI deliver to it)."""
        from circuits.app.wallet import public_addresses

        for name in self.wallet_names():
            if public_addresses(self.wallet_path(name))[1] == operator:
                return name
        return None


def _write_atomic(path: Path, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class _NoVerifier:
    """Creating the ledger verifies nothing; keys may not exist yet."""

    def verify(self, circuit, public_inputs, proof):
        raise ValueError("no verifier configured")


class TimedVerifier:
    """Wraps the ledger's verifier to record each verification (circuit, result, seconds), so the
    CLI and the demo can say how long checking a proof took and what the answer was."""

    def __init__(self, inner):
        self.inner = inner
        self.log: list[tuple[str, bool, float]] = []
        self.last_submission: tuple[str, list[int], object] | None = None

    def verify(self, circuit, public_inputs, proof):
        import time

        t0 = time.perf_counter()
        ok = False
        self.last_submission = (circuit, list(public_inputs), proof)
        try:
            ok = self.inner.verify(circuit, public_inputs, proof)
            return ok
        finally:
            self.log.append((circuit, ok is True, time.perf_counter() - t0))

    @property
    def last(self) -> tuple[str, bool, float] | None:
        return self.log[-1] if self.log else None


def export_solidity_verifiers(system, out_dir: Path) -> list[Path]:
    """Purchase.sol, Assign.sol, Redeem.sol from the verifying keys; returns the files written."""
    from zk.formats.snarkjs import vkey_to_json
    from zk.formats.solidity import solidity_verifier

    written = []
    for name, stem in SOLIDITY_CONTRACTS.items():
        source = solidity_verifier(vkey_to_json(system.vks[name]), contract_name=f"{stem}Verifier")
        path = Path(out_dir) / f"{stem}.sol"
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(source)
        os.replace(tmp, path)
        written.append(path)
    return written

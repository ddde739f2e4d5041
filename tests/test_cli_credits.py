"""`zk credits ...` through click's CliRunner, at tree depth 4 with real proofs: the story, and
every bad input as one line, exit status 2, no traceback and nothing stored changed."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from circuits.app.home import Home, group_id
from zk.cli import _register_commands, cli

# `zk credits` reaches the library's command line only through the `zk.commands` entry point.
_register_commands()

DEPTH = 4
PAYOUT = "0x00000000000000000000000000000000000000ab"


def run(home, *args, expect=0):
    result = CliRunner().invoke(cli, ["credits", "--home", str(home), "-q", *[str(a) for a in args]])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


def refused(home, *args, match: str):
    result = run(home, *args, expect=2)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert match in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module", autouse=True)
def wallet_passphrase():
    """Wallets here are sealed under a stated passphrase at a cheap scrypt cost."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZK_CREDITS_PASSPHRASE", "test passphrase")
        mp.setenv("ZK_CREDITS_SCRYPT_N", "1024")
        yield


@pytest.fixture(scope="module")
def keyed_home(tmp_path_factory):
    """A home with keys, a ledger in 2026-11, wallets alice, bob, op and mallory, and op registered
    as an operator with PAYOUT at 70% (copied per test)."""
    home = tmp_path_factory.mktemp("credits") / "home"
    out = run(home, "init", "--depth", DEPTH, "--now", "2026-11").output
    assert "governance key" in out
    out = run(home, "setup").output
    assert "purchase" in out and "constraints" in out
    for name in ("alice", "bob", "op", "mallory"):
        run(home, "wallet", "create", name)
    out = run(home, "registry", "add", "--operator-wallet", "op", "--payout", PAYOUT, "--share", 7000).output
    assert "registry add for operator" in out and "signed by governance" in out
    return home


@pytest.fixture
def home(keyed_home, tmp_path):
    target = tmp_path / "home"
    shutil.copytree(keyed_home, target)
    return target


def snapshot(home) -> tuple:
    """Everything a failed command must leave as it was: the ledger's state and each wallet's credits."""
    h = Home(home)
    ledger = h.ledger(verifier=object())
    events = list(ledger.events())
    state = (events, ledger.status(), ledger.totals(), ledger.payout_balances())
    wallets = []
    for name in h.wallet_names():
        w = h.wallet(name)
        wallets.append((name, [(n.note, n.leaf) for n in w.notes()], [(n.note, n.leaf) for n in w.notes("spent")],
                        w.assignments(), w.assignments("spent"), w.assignments("given", "given"),
                        w.conn.execute("SELECT COUNT(*) FROM notes").fetchone(),
                        w.conn.execute("SELECT COUNT(*) FROM assignments").fetchone()))
        w.close()
    ledger.close()
    return state, wallets


def test_story(home, tmp_path):
    out = run(home, "purchase", "--wallet", "alice", "--amount", 100).output
    assert "simulated payment: 100 from fresh address 0x" in out and "valid" in out
    run(home, "purchase", "--wallet", "alice", "--amount", 100)
    wallets = run(home, "wallet", "list").output
    op_address = [line.split()[-1] for line in wallets.splitlines() if line.startswith("op ")][0]
    blob = tmp_path / "assignment.json"
    out = run(home, "assign", "--wallet", "alice", "--amount", 150, "--group", "my-group",
              "--operator-address", op_address, "-o", blob).output
    assert "assign proof" in out and "valid" in out and "keeps 50 usable" in out
    assert json.loads(blob.read_text())["assignment"]["group"] == str(group_id("my-group"))
    out = run(home, "accept", "--wallet", "op", blob).output
    assert "accepted 150 credits of 2026-11" in out and "(usable)" in out
    out = run(home, "redeem", "--wallet", "op", "--amount", 100, "--payout", PAYOUT).output
    assert f"70 to {PAYOUT}, 30 to the network fund" in out and "still redeem 50" in out
    # The operator's wallet refuses to redeem more than it holds; no proof is made.
    refused(home, "redeem", "--wallet", "op", "--amount", 51, "--payout", PAYOUT, match="no usable assignment holds 51")

    out = run(home, "status").output
    assert "2026-11        200       100        0        100" in out
    assert f"payout {PAYOUT}: 70" in out and "network fund 30" in out
    assert "wallet alice: notes 50 usable, assigned 150 in 1 assignment(s)" in out
    assert "wallet op: notes 0 usable, redeemable 50" in out
    assert "invariants: OK" in out

    assert "nothing expired" in run(home, "sweep").output
    assert "2027-10" in run(home, "advance-epoch", 11).output
    refused(home, "clock", "--now", "2027-09", match="only moves forward")
    assert "2027-11" in run(home, "advance-epoch").output
    refused(home, "assign", "--wallet", "alice", "--amount", 10, "--group", "g", "--to-operator-wallet", "op",
            match="no one or two usable notes")
    out = run(home, "sweep").output
    assert "swept 2026-11: 100 to the network fund" in out and "network fund: 130" in out
    out = run(home, "status").output
    assert "expired, swept" in out and "wallet alice: notes 0 usable (50 expired)" in out and "invariants: OK" in out


def test_assign_to_local_operator_wallet(home):
    run(home, "purchase", "--wallet", "bob", "--amount", 40)
    out = run(home, "assign", "--wallet", "bob", "--amount", 40, "--group", "g", "--to-operator-wallet", "op").output
    assert "delivered to wallet op" in out
    out = run(home, "redeem", "--wallet", "op", "--amount", 40).output  # to its registered payout
    assert f"28 to {PAYOUT}" in out and "12 to the network fund" in out
    assert "invariants: OK" in run(home, "status").output


def test_registry_commands(home):
    """Only registered operators are assigned to and redeem; governance changes the registry."""
    run(home, "purchase", "--wallet", "bob", "--amount", 100)
    refused(home, "assign", "--wallet", "bob", "--amount", 40, "--group", "g", "--to-operator-wallet", "mallory",
            match="is not in the ledger's registry")
    run(home, "assign", "--wallet", "bob", "--amount", 40, "--group", "g", "--to-operator-wallet", "op")
    refused(home, "redeem", "--wallet", "op", "--amount", 10, "--payout", "0xbad",
            match="is not the payout registered to this operator")
    refused(home, "redeem", "--wallet", "mallory", "--amount", 10, match="is not in the ledger's registry")
    refused(home, "registry", "add", "--operator-wallet", "mallory", "--payout", "0xbad", "--share", 7001,
            match="must be 0..7000")
    refused(home, "registry", "add", "--operator-wallet", "mallory", "--payout", PAYOUT,
            match="already registered to another operator")
    run(home, "registry", "add", "--operator-wallet", "mallory", "--payout", "0xbad", "--share", 6000)
    run(home, "registry", "rotate", "--operator-wallet", "op", "--payout", "0xc0ffee")
    out = run(home, "registry", "list").output
    assert "registry: 2 operator(s)" in out and "share 60.00%" in out and "0x0000000000000000000000000000000000c0ffee" in out
    out = run(home, "redeem", "--wallet", "op", "--amount", 10).output
    assert "7 to 0x0000000000000000000000000000000000c0ffee" in out
    run(home, "registry", "remove", "--operator-wallet", "op")
    refused(home, "redeem", "--wallet", "op", "--amount", 10, match="is not in the ledger's registry")
    # Without the governance key nobody changes the registry.
    (home / "governance.key").unlink()
    refused(home, "registry", "add", "--operator-wallet", "op", "--payout", PAYOUT, match="no governance key")
    assert "invariants: OK" in run(home, "status").output


def test_bad_inputs_change_nothing(home, tmp_path):
    run(home, "purchase", "--wallet", "alice", "--amount", 100)
    blob = tmp_path / "a.json"
    run(home, "assign", "--wallet", "alice", "--amount", 60, "--group", "g", "--to-operator-wallet", "op", "-o", blob)
    before = snapshot(home)

    refused(home, "purchase", "--wallet", "carol", "--amount", 5, match="unknown wallet 'carol'")
    refused(home, "purchase", "--wallet", "../alice", "--amount", 5, match="a wallet name is")
    refused(home, "purchase", "--wallet", "alice", "--amount", 0, match="must be positive")
    refused(home, "purchase", "--wallet", "alice", "--amount", -3, match="must be positive")
    refused(home, "purchase", "--wallet", "alice", "--amount", 1 << 64, match="below 2^64")
    refused(home, "assign", "--wallet", "alice", "--amount", 41, "--group", "g", "--to-operator-wallet", "op",
            match="no one or two usable notes of one month hold 41")
    refused(home, "assign", "--wallet", "alice", "--amount", 5, "--group", "g", "--to-operator-wallet", "nobody",
            match="unknown wallet 'nobody'")
    refused(home, "assign", "--wallet", "alice", "--amount", 5, "--group", "g", match="exactly one of")
    refused(home, "assign", "--wallet", "alice", "--amount", 5, "--group", "g", "--operator-address", "0x12",
            match="give -o FILE")
    refused(home, "assign", "--wallet", "alice", "--amount", 5, "--group", "g", "--operator-address", "zz",
            "-o", tmp_path / "new.json", match="operator address must be")
    refused(home, "assign", "--wallet", "alice", "--amount", 5, "--group", "g", "--operator-address", "0x12",
            "-o", blob, match="exists: not overwriting")
    refused(home, "redeem", "--wallet", "op", "--amount", 61, "--payout", PAYOUT, match="no usable assignment holds 61")
    refused(home, "redeem", "--wallet", "op", "--amount", 10, "--payout", "0x" + "1" * 41, match="payout must be")
    refused(home, "redeem", "--wallet", "op", "--amount", 10, "--payout", "abc", match="payout must be")
    refused(home, "advance-epoch", "--", "-1", match="non-negative")
    refused(home, "clock", "--now", "2026-13", match="month must be 1..12")
    refused(home, "clock", "--now", "Nov 2026", match="YYYY-MM")
    refused(home, "wallet", "create", "alice", match="already exists")
    refused(home, "init", match="already holds a ledger")

    # Malformed and tampered assignment files.
    data = json.loads(blob.read_text())
    cases = {
        "not-json.json": "{not json",
        "wrong-format.json": json.dumps({**data, "format": "something/else"}),
        "wrong-version.json": json.dumps({**data, "version": 99}),
        "tampered.json": blob.read_text().replace('"amount": "60"', '"amount": "600"'),
        "bad-checksum.json": json.dumps({**data, "checksum": "sha256:" + "0" * 64}),
        "binary.json": b"\xff\xfe\x00garbage",
    }
    messages = {"not-json.json": "not an assignment blob", "wrong-format.json": "not a zk-credits/assignment blob",
                "wrong-version.json": "unsupported assignment blob version", "tampered.json": "checksum mismatch",
                "bad-checksum.json": "checksum mismatch", "binary.json": "cannot read"}
    for name, content in cases.items():
        path = tmp_path / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        refused(home, "accept", "--wallet", "op", path, match=messages[name])
    refused(home, "accept", "--wallet", "op", tmp_path / "missing.json", match="cannot read")
    # An assignment made out to another operator.
    refused(home, "accept", "--wallet", "bob", blob, match="made out to another operator")

    assert snapshot(home) == before
    assert "invariants: OK" in run(home, "status").output


def test_without_home_or_keys(tmp_path):
    refused(tmp_path / "none", "status", match="not a credits home")
    refused(tmp_path / "none", "wallet", "create", "x", match="not a credits home")
    run(tmp_path / "fresh", "init", "--depth", DEPTH)
    run(tmp_path / "fresh", "wallet", "create", "x")
    refused(tmp_path / "fresh", "purchase", "--wallet", "x", "--amount", 1, match="run `zk credits setup` first")
    refused(tmp_path / "bad", "init", "--depth", 0, match="tree depth must be")


def test_home_from_environment(keyed_home, tmp_path, monkeypatch):
    target = tmp_path / "envhome"
    shutil.copytree(keyed_home, target)
    monkeypatch.setenv("ZK_CREDITS_HOME", str(target))
    result = CliRunner().invoke(cli, ["credits", "clock"])
    assert result.exit_code == 0 and "2026-11" in result.output


def test_corrupted_key_cache_is_refused(home):
    keys = Home(home).key_dir
    pk = next(keys.glob("purchase-*.pk"))
    data = bytearray(pk.read_bytes())
    data[len(data) // 2] ^= 1
    pk.write_bytes(bytes(data))
    before = snapshot(home)
    refused(home, "purchase", "--wallet", "alice", "--amount", 5, match="checksum does not match")
    vk = next(keys.glob("assign-*.vkey.json"))
    vk.write_text(vk.read_text().replace('"nPublic": 7', '"nPublic": 6'))
    refused(home, "purchase", "--wallet", "alice", "--amount", 5, match="cached assign verification key")
    assert snapshot(home) == before
    # setup --force replaces them.
    out = run(home, "setup", "--force").output
    assert "setup" in out
    run(home, "purchase", "--wallet", "alice", "--amount", 5)


def test_setup_twice_checks_the_cache(home):
    out = run(home, "setup").output
    assert out.count("cached keys checked") == 3
    try:
        import zk.formats.solidity  # noqa: F401
    except ImportError:
        return
    for stem in ("Purchase", "Assign", "Redeem"):
        source = (home / f"{stem}.sol").read_text()
        assert f"contract {stem}Verifier" in source

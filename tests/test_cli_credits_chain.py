"""`zk credits --chain URL ...` through click's CliRunner against the session's hardhat node, at tree
depth 4 with real proofs (the session's keys, written into the home): deploy (from a key given in
$ZK_CREDITS_CHAIN_KEY, never printed), the registry, a purchase, an assignment, a redemption, a
sweep and the status, checked against the EVM ledger; bad URLs and missing or foreign deployments
as one line and exit status 2."""
from __future__ import annotations

import json

import pytest

from test_cli_credits import refused, run

pytestmark = pytest.mark.npm
PAYOUT = "0x00000000000000000000000000000000000000ab"
# hardhat's second development account (its key is published with hardhat: a test key only)
DEPLOYER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
DEPLOYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
FUND = "0x00000000000000000000000000000000000f00d1"


@pytest.fixture
def keyed_home(tmp_path, system, monkeypatch):
    """A home at the chain tests' depth holding the session's keys."""
    from circuits.app.system import key_paths, save_keys, write_manifest

    monkeypatch.setenv("ZK_CREDITS_PASSPHRASE", "test passphrase")
    monkeypatch.setenv("ZK_CREDITS_SCRYPT_N", "1024")
    home = tmp_path / "home"
    run(home, "init", "--depth", system.depth)
    key_dir = home / "keys"
    key_dir.mkdir()
    for name, keys in system.keys.items():
        save_keys(keys, *key_paths(key_dir, name, keys.cs))
    write_manifest(system, key_dir)
    return home


def test_the_story_on_chain_through_the_cli(local_node, system, compiled, keyed_home, monkeypatch):
    from circuits.app.chain.home import ChainHome
    from circuits.app.home import Home
    from circuits.app.ledger import ASSIGN_TREE, NOTE_TREE

    monkeypatch.setenv("ZK_CREDITS_CHAIN_KEY", DEPLOYER_KEY)
    home, url = keyed_home, local_node.url
    chain = ("--chain", url)
    refused(home, *chain, "status", match="no deployment recorded")

    refused(home, *chain, "deploy", "--network-fund", "fund", match="--network-fund must be a chain address")
    out = run(home, *chain, "deploy", "--max-relayer-fee", 3, "--network-fund", FUND).output
    assert "CommunityCredits at 0x" in out and DEPLOYER in out
    record_path = home / "chain" / "deployment.json"
    assert record_path.stat().st_mode & 0o777 == 0o600
    record = json.loads(record_path.read_text())
    assert (record["chain_id"], record["depth"], record["deployer"], record["governance"]) == (
        31337, system.depth, DEPLOYER, DEPLOYER)
    assert (record["network_fund"].lower(), record["max_relayer_fee"]) == (FUND, 3)
    assert DEPLOYER_KEY[2:] not in out + record_path.read_text()
    refused(home, *chain, "deploy", match="and it is there")

    created = {name: run(home, *chain, "wallet", "create", name).output for name in ("alice", "op")}
    operator = created["op"].split("operator address ")[1].split()[0]
    run(home, *chain, "registry", "add", "--operator-wallet", "op", "--payout", PAYOUT, "--share", 7000)
    out = run(home, *chain, "purchase", "--wallet", "alice", "--amount", 100).output
    assert "from fresh address 0x" in out and "verified by the contract" in out
    assert "alice holds 100 usable credits" in out
    with monkeypatch.context() as broke:  # a sender without gas money: the node refuses, nothing changes
        broke.setenv("ZK_CREDITS_CHAIN_KEY", "0x" + "11" * 32)
        refused(home, *chain, "purchase", "--wallet", "alice", "--amount", 5, match="the chain node: ")
    out = run(home, *chain, "assign", "--wallet", "alice", "--amount", 60, "--group", "#g",
              "--operator-address", operator, "-o", home / "a.json").output
    assert "alice keeps 40 usable credits" in out
    out = run(home, *chain, "accept", "--wallet", "op", home / "a.json").output
    assert "accepted 60 credits" in out and "(usable)" in out
    out = run(home, *chain, "redeem", "--wallet", "op", "--amount", 40).output
    assert "redeemed 40: 28 to 0x00000000000000000000000000000000000000ab, 12 to the network fund" in out
    out = run(home, *chain, "sweep").output
    assert "nothing expired" in out and "network fund: 12" in out
    out = run(home, *chain, "status").output
    assert f"CommunityCredits {record['credits']} on chain 31337" in out
    assert "wallet alice: notes 40 usable, assigned 60 in 1 assignment(s)" in out
    assert "wallet op: notes 0 usable, redeemable 20" in out
    assert "invariants: OK" in out
    refused(home, *chain, "advance-epoch", match="block time is the clock")

    ledger = ChainHome(Home(home), url).ledger(system)
    assert ledger.credits.address == record["credits"]
    assert ledger.payout_balance(int(PAYOUT, 16)) == 28 and ledger.network_fund == 12
    assert [(b.purchased, b.debited, b.swept) for b in ledger.buckets()] == [(100, 40, 0)]
    assert (ledger.leaf_count(NOTE_TREE), ledger.leaf_count(ASSIGN_TREE)) == (2, 2)
    assert ledger.tree(NOTE_TREE).root == ledger.root(NOTE_TREE)
    assert ledger.totals()["payments"] == 100

    record_path.write_text(json.dumps({**record, "chain_id": 1}))
    refused(home, *chain, "status", match="is chain 31337, the deployment")


def test_bad_chain_urls_are_one_line(keyed_home):
    pytest.importorskip("web3", reason="web3 missing: `make setup` installs the chain extra")
    refused(keyed_home, "--chain", "http://127.0.0.1:1", "status", match="cannot reach a JSON-RPC node")
    refused(keyed_home, "--chain", "ftp://example", "deploy", match="JSON-RPC URL")

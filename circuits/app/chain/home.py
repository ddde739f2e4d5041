"""A credits home's deployment on a chain, as `zk credits --chain URL ...` uses it.

    HOME/chain/deployment.json         the contracts' addresses, chain id, depth, deployment block,
                                       deployer (0600; no key is ever written or logged)
    HOME/chain/CHAINID-ADDRESS/wallets the wallets of that deployment (their trees come from its
                                       events, so they are never mixed with the SQLite ledger's)

The deployer sends from $ZK_CREDITS_CHAIN_KEY (a private key, signed locally) when it is set,
otherwise from the node's first unlocked account (a development node's). Every later command
checks that the node at URL is the recorded chain and that the contract is there.
"""
from __future__ import annotations

import json
import os

from circuits.app.chain.contracts import (
    CREDITS, EXTERNAL_HASHER, REGISTRY, STABLECOIN, TREES, VERIFIERS, Deployment, compile_credits, deploy_credits,
)
from circuits.app.chain.ledger import EvmLedger
from circuits.app.home import Home, HomeError, _write_atomic
from circuits.app.vault import make_private_dir, private_umask

RECORD_FORMAT = "zk-credits/chain-deployment"
RECORD_VERSION = 1
KEY_ENV = "ZK_CREDITS_CHAIN_KEY"


def connect(url: str):
    """web3 for the JSON-RPC node at `url`, sending from the deployer account (its address in
    `w3.eth.default_account`); HomeError when the node does not answer."""
    from web3 import Web3
    from web3.exceptions import Web3Exception

    if not url.startswith(("http://", "https://")):
        raise HomeError(f"--chain takes a JSON-RPC URL (http:// or https://), got {url!r}")
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    try:
        w3.eth.chain_id
        key = os.environ.get(KEY_ENV)
        if key:
            from web3.middleware import SignAndSendRawMiddlewareBuilder

            try:
                account = w3.eth.account.from_key(key)
            except (ValueError, TypeError):
                raise HomeError(f"${KEY_ENV} is not a private key (32 bytes of hex)") from None
            w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
            w3.eth.default_account = account.address
        else:
            accounts = w3.eth.accounts
            if not accounts:
                raise HomeError(f"the node at {url} has no unlocked account: set ${KEY_ENV} to the sender's key")
            w3.eth.default_account = accounts[0]
    except (OSError, ValueError, Web3Exception) as exc:
        raise HomeError(f"cannot reach a JSON-RPC node at {url}: {str(exc).splitlines()[0][:200]}") from None
    return w3


class ChainHome:
    """The deployment recorded in a home, on the node at `url`."""

    def __init__(self, home: Home, url: str):
        self.home = home
        self.url = url
        self.record_path = home.path / "chain" / "deployment.json"
        self.w3 = connect(url)
        self.chain_id = self.w3.eth.chain_id

    def record(self) -> dict | None:
        try:
            data = json.loads(self.record_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise HomeError(f"{self.record_path} is unreadable: {exc}") from None
        if not (isinstance(data, dict) and data.get("format") == RECORD_FORMAT and data.get("version") == RECORD_VERSION):
            raise HomeError(f"{self.record_path} is not a chain deployment record of version {RECORD_VERSION}")
        return data

    def _deployed(self, record: dict) -> bool:
        return record["chain_id"] == self.chain_id and len(self.w3.eth.get_code(record["credits"])) > 0

    def deploy(self, system, max_relayer_fee: int, network_fund: str | None) -> tuple[Deployment, dict]:
        """Deploy the contracts for this home's depth and keys, record them; refuses when the
        recorded deployment is still on this chain."""
        old = self.record()
        if old is not None and self._deployed(old):
            raise HomeError(f"{self.record_path} records CommunityCredits at {old['credits']} on chain "
                            f"{self.chain_id}, and it is there: remove the record to deploy anew")
        depth = self.home.depth
        deployment = deploy_credits(self.w3, system.vks, depth, governance=self.w3.eth.default_account,
                                    max_relayer_fee=max_relayer_fee,
                                    network_fund=network_fund or self.w3.eth.default_account,
                                    compiled=compile_credits(depth, system.vks))
        record = {"format": RECORD_FORMAT, "version": RECORD_VERSION, "chain_id": self.chain_id, "depth": depth,
                  "block": self.w3.eth.block_number,  # the money contract is the last one deployed
                  "deployer": self.w3.eth.default_account, "governance": deployment.governance,
                  "credits": deployment.credits.address, "trees": deployment.trees.address,
                  "token": deployment.token.address, "registry": deployment.registry.address,
                  "hasher": deployment.hasher.address,
                  "verifiers": {name: c.address for name, c in deployment.verifiers.items()},
                  "max_relayer_fee": max_relayer_fee, "network_fund": deployment.network_fund}
        make_private_dir(self.record_path.parent)
        with private_umask():
            _write_atomic(self.record_path, json.dumps(record, indent=1, sort_keys=True))
        self._use_wallets(record)
        return deployment, record

    def ledger(self, system) -> EvmLedger:
        """The recorded deployment as an EvmLedger; HomeError when none is recorded, or the node
        is another chain, or the contract is not there."""
        record = self.record()
        if record is None:
            raise HomeError(f"no deployment recorded in {self.record_path}: run `zk credits --chain {self.url} deploy`")
        if record["chain_id"] != self.chain_id:
            raise HomeError(f"the node at {self.url} is chain {self.chain_id}, the deployment in {self.record_path} "
                            f"is on chain {record['chain_id']}")
        if not self._deployed(record):
            raise HomeError(f"no CommunityCredits at {record['credits']} on chain {self.chain_id} (a restarted "
                            f"development node?): run `zk credits --chain {self.url} deploy` anew")
        if record["depth"] != self.home.depth:
            raise HomeError(f"the deployment's trees have depth {record['depth']}, this home's keys depth {self.home.depth}")
        compiled = compile_credits(record["depth"], system.vks)  # for the ABIs (solc's cache answers)

        def at(address, name):
            return self.w3.eth.contract(address=address, abi=compiled[name].abi)

        deployment = Deployment(self.w3, record["depth"], at(record["token"], STABLECOIN), at(record["credits"], CREDITS),
                                at(record["trees"], TREES), at(record["registry"], REGISTRY), record["governance"],
                                {n: at(record["verifiers"][n], c) for n, c in VERIFIERS.items()},
                                at(record["hasher"], EXTERNAL_HASHER), {})
        self._use_wallets(record)
        return EvmLedger(deployment, sender=self.w3.eth.default_account)

    def _use_wallets(self, record: dict) -> None:
        self.home.wallet_dir = self.home.path / "chain" / f"{record['chain_id']}-{record['credits']}" / "wallets"

"""A local Ethereum development node: hardhat's (npm peer pinned in package.json), started on
127.0.0.1 at a free port and stopped afterwards, also when the caller fails.

    with LocalNode() as node:
        w3 = node.web3()          # 20 funded, unlocked accounts; one block per transaction

The node enforces mainnet's rules for the Prague hardfork, EIP-170's code size limit included.
"""
from __future__ import annotations

import ctypes
import json
import os
import pathlib
import signal
import sys
import socket
import subprocess
import tempfile
import time
import urllib.request

from zk.chain.solc import NODE_MODULES

CHAIN_ID = 31337
HARDFORK = "prague"
_CONFIG = f"""module.exports = {{
  networks: {{ hardhat: {{ chainId: {CHAIN_ID}, hardfork: "{HARDFORK}", allowUnlimitedContractSize: false }} }},
}};
"""


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends it SIGTERM when the process that started it
    dies, even by SIGKILL, when no `finally` runs (Linux; elsewhere only `stop` ends the node)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class NodeError(RuntimeError):
    """The node could not be started (hardhat missing, it exited, or it never answered)."""


def node_available() -> bool:
    return (NODE_MODULES / ".bin" / "hardhat").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalNode:
    def __init__(self, port: int | None = None, startup_timeout: float = 90.0):
        self.requested_port = port
        self.port = port
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalNode":
        if not node_available():
            raise NodeError(f"hardhat is missing from {NODE_MODULES} (run `make npm`)")
        # A port found free may be taken before hardhat binds it: try a few.
        for _ in range(3):
            port = self.requested_port or free_port()
            if self._launch(port):
                return self
            log = self.log()
            self.stop()
            if "EADDRINUSE" not in log or self.requested_port:
                raise NodeError(f"hardhat node did not start on port {port}:\n{log[-2000:]}")
        raise NodeError("hardhat node found no free port")

    def _launch(self, port: int) -> bool:
        self.port = port
        # The config (and the cache hardhat may write) live in a scratch directory, not the repo.
        self._dir = tempfile.TemporaryDirectory(prefix="zk-node-")
        config = pathlib.Path(self._dir.name) / "hardhat.config.cjs"
        config.write_text(_CONFIG)
        self._log = open(pathlib.Path(self._dir.name) / "node.log", "wb")
        env = dict(os.environ, HARDHAT_DISABLE_TELEMETRY_PROMPT="true", NODE_PATH=str(NODE_MODULES))
        self._process = subprocess.Popen(
            [str(NODE_MODULES / ".bin" / "hardhat"), "--config", str(config), "node",
             "--hostname", "127.0.0.1", "--port", str(port)],
            cwd=self._dir.name, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True, preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                if self.rpc("eth_chainId") == hex(CHAIN_ID):
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        raise NodeError(f"hardhat node did not answer within {self.startup_timeout:.0f} s:\n{self.log()[-2000:]}")

    def rpc(self, method: str, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise NodeError(f"{method}: {answer['error']}")
        return answer["result"]

    def log(self) -> str:
        if self._dir is None:
            return ""
        path = pathlib.Path(self._dir.name) / "node.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def web3(self):
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 60}))
        w3.eth.default_account = w3.eth.accounts[0]
        return w3

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # hardhat runs under a shell wrapper on some installs: signal the whole group we made.
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> "LocalNode":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

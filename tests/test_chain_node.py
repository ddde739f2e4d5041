"""The local node's life cycle: it answers while the block runs and is gone afterwards, also when
the block fails, and also when the process that started it is killed outright."""
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.npm


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_node_stops_when_the_block_fails(local_node):  # local_node: skips without hardhat/web3
    from zk.chain.node import LocalNode

    with pytest.raises(RuntimeError, match="boom"):
        with LocalNode() as node:
            pid, port = node._process.pid, node.port
            assert node.rpc("eth_chainId") == "0x7a69" and port != local_node.port
            raise RuntimeError("boom")
    assert _gone(pid)
    with pytest.raises(OSError):
        node.rpc("eth_chainId")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")
def test_node_dies_with_a_killed_parent(local_node):
    script = "from zk.chain.node import LocalNode; n = LocalNode().start(); print(n._process.pid, flush=True); input()"
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        os.kill(pid, 0)  # running
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _gone(pid)
    finally:
        parent.kill()

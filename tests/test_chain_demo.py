"""`make demo-chain`'s story at depth 4 (the target runs it at depth 20): it starts and stops its
own node, every honest step lands, the replay and the front-run are refused, and it prints the gas
of each step."""
import pytest

pytestmark = pytest.mark.npm


def test_chain_demo_runs_the_story(local_node, tmp_path):  # local_node: skips without hardhat/web3
    from circuits.app.chain.demo import run_demo
    from circuits.app.system import CreditsSystem

    lines = []
    run_demo(tmp_path, depth=4, echo=lines.append, system=CreditsSystem.shared(4))  # the session's keys
    text = "\n".join(lines)
    assert "replay: REFUSED" in text and "front-run: REFUSED" in text
    assert "70 to the payout, 30 to the network fund" in text
    assert "the contract holds 0" in text
    for step in ("purchase of 100", "assign (two notes, no relayer)", "redeem", "sweep", "assign (one note, relayer paid)"):
        assert f"   {step}: " in text, step

"""The demo's story (circuits/app/demo.py) at depth 4: it runs to the end, every honest proof verifies,
every attack (a fake operator's cash-out included) is refused for the expected reason, the books
balance; a second run reuses the keys."""
from __future__ import annotations

from circuits.app.demo import run_demo


def test_demo_story_and_key_reuse(tmp_path):
    lines: list[str] = []
    run_demo(tmp_path, depth=4, echo=lines.append)
    text = "\n".join(lines)
    assert "keys generated into" in text
    assert text.count(": VALID") == 9 and "INVALID" not in text
    assert text.count("REFUSED (NullifierSpent)") == 2 and text.count("REFUSED (InvalidProof)") == 1
    assert "checksum mismatch" in text
    # Two registered operators, two shares; a fake operator's cash-out refused three ways.
    assert "share 70%" in text and "share 60%" in text
    assert "split: 70 to the operator, 30 to the network fund" in text
    assert "split: 24 to operator-b's payout" in text and "16 to the network fund" in text
    assert "REFUSED by alice's wallet: operator" in text and "is not in the ledger's registry" in text
    assert "REFUSED in circuit: no proof exists against the ledger's registry (the 'registered operator'" in text
    assert text.count("REFUSED (StaleRegistryRoot)") == 1
    assert "0x000000000000000000000000000000000badbad0 received 0" in text
    assert "sweep: 80 credits of 2026-11" in text and "sweep: 40 credits of 2027-05" in text
    assert ("fund split: paid in 290 = operators 115 + network 55 (redemptions) + network 120 (sweeps) "
            "+ still open 0") in text
    assert "payout 0x00000000000000000000000000000000c0ffee02: 24" in text
    assert "check_invariants: OK" in text and "10 attempts refused" in text

    again: list[str] = []
    run_demo(tmp_path, depth=4, echo=again.append)
    assert "keys loaded from" in "\n".join(again)
    assert sum(1 for line in again if ": VALID" in line) == 9

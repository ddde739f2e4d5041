"""The tests' governance key and a helper that registers an operator the way governance would."""
from __future__ import annotations

from circuits.app.registry import Governance

# A fixed key: test ledgers are throwaway; the demo and `zk credits init` generate theirs.
GOVERNANCE = Governance.from_bytes(bytes(range(32)))


def register(ledger, operator: int, payout: int, share_bps: int = 7000) -> None:
    """Make `operator` registered with `payout` and `share_bps` (adding it, or rotating its payout
    and changing its share), each change signed by GOVERNANCE."""
    entry = ledger.registry.entry(operator)
    if entry is None:
        GOVERNANCE.add(ledger, operator, payout, share_bps)
        return
    if entry.payout != payout:
        GOVERNANCE.rotate(ledger, operator, payout)
    if entry.share_bps != share_bps:
        GOVERNANCE.set_share(ledger, operator, share_bps)

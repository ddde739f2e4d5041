"""Constraint counts, setup and prove times of the three circuits, and a whole purchase -> assign ->
redeem run through a ledger: `python -m circuits.app.measure [--depth 20] [--key-dir DIR]`."""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from circuits.app.ledger import Ledger, Payment
from circuits.protocol import DEFAULT_DEPTH, current_epoch
from circuits.app.system import CreditsSystem
from circuits.app.vault import DEMO_PASSPHRASE
from circuits.app.wallet import Wallet, export_assignment


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH)
    parser.add_argument("--key-dir", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    system = CreditsSystem.load(args.depth, args.key_dir)
    print(f"depth {args.depth}: compile + setup (or load) {time.perf_counter() - t0:.1f} s")
    for name, s in system.stats().items():
        print(f"  {name:8s} {s['constraints']:6d} constraints  {s['wires']:6d} wires  {s['public']} public"
              f"  setup {s['setup_seconds']:.1f} s")

    epoch = current_epoch()
    timings: dict[str, list] = {"purchase": [], "assign": [], "redeem": []}
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "ledger.db", system, now=lambda: epoch, depth=args.depth)
        user, operator = (Wallet(Path(tmp) / name, DEMO_PASSPHRASE) for name in ("user.db", "op.db"))
        for k in range(args.rounds):
            user.purchase(ledger, system, Payment(f"tx{k}", "0xpayer", 100))
            timings["purchase"].append(system.last_timing)
            operator.import_assignment(export_assignment(
                user.assign(ledger, system, group=1, operator=operator.operator, amount=100)))
            timings["assign"].append(system.last_timing)
            operator.redeem(ledger, system, 100, payout=0xAB)
            timings["redeem"].append(system.last_timing)
        t = time.perf_counter()
        ledger.check_invariants()
        check = time.perf_counter() - t
    for name, runs in timings.items():
        warm = runs[1:] or runs
        print(f"  {name:8s} solve {min(r.solve_seconds for r in warm):.2f} s  prove {min(r.prove_seconds for r in warm):.2f} s"
              f"  (first run: solve {runs[0].solve_seconds:.2f} s, prove {runs[0].prove_seconds:.2f} s)")
    print(f"  check_invariants on {3 * args.rounds} leaves: {check:.2f} s")


if __name__ == "__main__":
    main()

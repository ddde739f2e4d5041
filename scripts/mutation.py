"""Mutation testing of the security checks: remove or weaken one check at a time and run the
tests that should notice. A mutant that no test kills is a check nothing protects.

    .venv/bin/python scripts/mutation.py            # every mutant (make mutation)
    .venv/bin/python scripts/mutation.py -k ledger  # those whose name contains "ledger"
    .venv/bin/python scripts/mutation.py --list

Each mutant replaces one exact snippet of one file (the script refuses to run a mutant whose
snippet is not found exactly once, so the list cannot silently go stale), runs its tests with
`pytest -x`, and restores the file whatever happens (also on Ctrl-C or SIGTERM). Never run it
beside other tests in the same tree: they would import the mutated file. Each test selection must
pass unmutated first, or the script stops. The numba cache directory is pinned to the
unmutated sources' one (conftest.py keys it on every zk/ file), so mutating Python-level checks
does not recompile the kernels. Exit status 1 when any mutant survives.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


CIRCUITS = ("tests/test_credits_circuits.py", "-k", "not prover_refuses")
LEDGER_RULES = ("tests/test_credits_ledger_rules.py",)
R1CS = ("tests/test_hostile_headers.py", "tests/test_circom_formats.py")
KEYFILE = ("tests/test_keyfile_hostile.py", "-k", "not fuzz")
KEYFILE_RECORDS = ("tests/test_groth16_keyfile.py", "-k", "validated or recorded or others_can_write")
DEGENERATE = ("tests/test_degenerate_keys.py",)
VERIFIER = ("tests/test_groth16.py", "-k", "round_trip or msm_path")
DECIMAL = ("tests/test_decimal_limits.py",)
WALLET = ("tests/test_credits_wallet_security.py",)
REGISTRY = ("tests/test_credits_registry.py",)
AOT = ("tests/test_aot.py",)

MUTANTS = [
    # finding 6: the Assign circuit's range checks, one at a time
    *(Mutant(f"assign: no range check on {name}", "circuits/assign.py",
             'for name in ("amount_1", "amount_2", "assigned", "change"):',
             "for name in (" + ", ".join(f'"{n}"' for n in ("amount_1", "amount_2", "assigned", "change")
                                          if n != name) + "):", CIRCUITS)
      for name in ("amount_1", "amount_2", "assigned", "change")),
    Mutant("redeem: no range check on the remainder", "circuits/redeem.py",
           "            api.assert_range(remaining, AMOUNT_BITS)", "            pass", CIRCUITS),
    Mutant("assign: nullifier not bound to the position", "circuits/assign.py",
           "self.sk, rho, leaf_position(api, path_indices))", "self.sk, rho, 0)", CIRCUITS),
    Mutant("redeem: nullifier not bound to the position", "circuits/redeem.py",
           "leaf_position(api, self.path_indices))", "0)", CIRCUITS),
    # finding 6: each circuit check is removed alone (its assertion becomes an unconstrained sum), and
    # the attack test that names it (and breaks only that rule, tests/refusal.py) must notice
    *(Mutant(f"{circuit}: {what} not checked", f"circuits/{circuit}.py", snippet,
             re.sub(r"api\.assert_\w+\(", "api.add(", snippet, count=1),
             ("tests/test_credits_circuits.py", "-k", tests))
      for circuit, what, snippet, tests in [
          ("purchase", "the amount's range", "api.assert_range(self.amount, AMOUNT_BITS)",
           "purchase_amount_over_64_bits"),
          ("purchase", "the epoch's range", "api.assert_range(self.epoch, EPOCH_BITS)", "purchase_epoch_over_32_bits"),
          ("purchase", "the note commitment", "api.assert_equal(self.note_cm, H_gadget(api, Tag.NOTE, self.owner, "
           "self.amount, self.epoch, self.rho))", "purchase_commitment_must_hide"),
          ("assign", "note 1's membership", "api.assert_equal(roots[0], self.note_root)",
           "assign_note_not_in_tree or assign_needs_the_owners_secret"),
          ("assign", "note 2's membership", "api.assert_equal(api.mul(self.amount_2, api.sub(roots[1], "
           "self.note_root)), 0)", "assign_second_note_must_be_in_tree or notes_of_two_months"),
          ("assign", "the nullifiers' derivation", "api.assert_equal(nf, H_gadget(api, Tag.NOTE_NF, self.sk, rho, "
           "leaf_position(api, path_indices)))", "assign_needs_the_owners_secret"),
          ("assign", "distinct nullifiers", "api.assert_nonzero(api.sub(self.nf_1, self.nf_2))",
           "assign_same_note_twice"),
          ("assign", "conservation", "api.assert_equal(api.add(self.amount_1, self.amount_2), "
           "api.add(self.assigned, self.change))", "assign_amounts_conserve"),
          ("assign", "the assignment commitment", "api.assert_equal(self.assign_cm, H_gadget(",
           "assign_cannot_refresh_the_epoch"),
          ("assign", "the change commitment", "api.assert_equal(self.change_cm, H_gadget(",
           "assign_change_to_another_owner or assign_cannot_refresh_the_epoch"),
          ("redeem", "the assignment's membership", "api.assert_equal(merkle_root_gadget(api, cm, self.path_elements, "
           "self.path_indices), self.assign_root)", "redeem_needs_the_operator_key or group_owner_cannot_redeem"),
          ("redeem", "the nullifier's derivation", "api.assert_equal(self.nf, H_gadget(api, Tag.ASSIGN_NF",
           "redeem_needs_the_operator_key"),
          ("redeem", "the amount's range", "api.assert_range(self.amount, AMOUNT_BITS)", "redeem_more_than_assigned"),
          ("redeem", "the change commitment", "api.assert_equal(self.change_cm, H_gadget(api, Tag.ASSIGNMENT, "
           "self.group, operator, remaining,", "redeem_change_stays_with_the_group"),
          ("protocol", "expiry", "api.assert_equal(api.less_or_equal(now, api.add(epoch, LIFETIME - 1), "
           "EPOCH_BITS + 1), 1)", "not_expired_window or redeem_expired_or_future"),
          ("protocol", "a date in the future", "api.assert_equal(api.less_or_equal(epoch, now, EPOCH_BITS), 1)",
           "not_expired_window or redeem_expired_or_future"),
      ]),
    # finding 6: the ledger's rules
    Mutant("ledger: redeem without the assignment-root check", "circuits/app/ledger.py",
           "            self._require_recent_root(db, ASSIGN_TREE, publics.assign_root)\n", "", LEDGER_RULES),
    Mutant("ledger: redeem of amount 0", "circuits/app/ledger.py",
           "if publics.amount <= 0:", "if publics.amount < 0:", LEDGER_RULES),
    Mutant("ledger: payout wider than an address", "circuits/app/ledger.py",
           "if publics.payout >> PAYOUT_BITS:", "if False:", LEDGER_RULES),
    Mutant("ledger: relayer and fee not range checked", "circuits/app/ledger.py",
           "        _check_publics([relayer, fee])\n", "", LEDGER_RULES),
    Mutant("ledger: one leaf past a full tree", "circuits/app/ledger.py",
           "if index >= 1 << self.depth:", "if index > 1 << self.depth:", LEDGER_RULES),
    Mutant("ledger: no InsufficientFunds", "circuits/app/ledger.py",
           "if sum(b.remaining for b in buckets) < amount:", "if False:", LEDGER_RULES),
    Mutant("ledger: reopened with another depth", "circuits/app/ledger.py",
           "if depth is not None and depth != self.depth:", "if False:", LEDGER_RULES),
    Mutant("ledger: reopened with another governance key", "circuits/app/ledger.py",
           "if governance is not None and bytes(governance) != self.governance_key:", "if False:", LEDGER_RULES),
    Mutant("ledger: redeem with a share above 7000", "circuits/app/ledger.py",
           "if publics.share_bps > MAX_OPERATOR_SHARE_BPS:", "if False:", LEDGER_RULES),
    # issue 15: the operator registry, in the circuit, the ledger and the wallet
    Mutant("registry: redeem does not prove membership", "circuits/redeem.py",
           "            api.assert_equal(merkle_root_gadget(api, entry, self.registry_path_elements, "
           "self.registry_path_indices),\n                             self.registry_root)",
           "            merkle_root_gadget(api, entry, self.registry_path_elements, self.registry_path_indices)",
           CIRCUITS),
    Mutant("registry: ledger does not check the registry root", "circuits/app/ledger.py",
           "            self.registry.require_root(db, publics.registry_root)\n", "", REGISTRY),
    Mutant("registry: replaced roots accepted forever", "circuits/app/ledger.py",
           "horizon = int(self.ledger.seconds()) - REGISTRY_ROOT_WINDOW", "horizon = -1", REGISTRY),
    Mutant("registry: change without the governance signature", "circuits/app/ledger.py",
           "if not verify_change(ledger.governance_key, ledger.ledger_id, change, signature):", "if False:", REGISTRY),
    Mutant("registry: signature not bound to the ledger", "circuits/app/registry.py",
           'fields = {"ledger": ledger_id, **self.to_json()}', "fields = self.to_json()", REGISTRY),
    Mutant("registry: replayed change", "circuits/app/ledger.py", "if change.seq != expected:", "if False:", REGISTRY),
    Mutant("registry: share above 7000 registered", "circuits/app/ledger.py",
           "        return check_share(value)\n", "        return value\n", REGISTRY),
    Mutant("registry: one payout for two operators", "circuits/app/ledger.py",
           "                if holder is not None:", "                if False:", REGISTRY),
    Mutant("registry: wallet assigns to an unregistered operator", "circuits/app/wallet.py",
           'if ledger.registry.entry(check_field(operator, "operator")) is None:', "if False:", REGISTRY),
    # issue 12: a powers of tau's G2 points must be in the order-r subgroup, not only on the twist
    Mutant("ptau: G2 points not checked in the subgroup", "zk/formats/ptau.py",
           "bad = first_outside_g2(FP2, contiguous)", "bad = -1",
           ("tests/test_ptau_files.py", "-k", "outside_g2")),
    # finding 6: key files
    Mutant("key file: domain too small for its constraints", "zk/formats/keyfile.py",
           "if domain_size != mats.domain_size:", "if False:", KEYFILE),
    Mutant("key file: array extents not checked", "zk/formats/keyfile.py",
           'nbytes = region.count(items, dtype.itemsize, "values") * dtype.itemsize',
           "nbytes = items * dtype.itemsize", KEYFILE),
    Mutant("key file: header counts taken as int() of anything", "zk/formats/keyfile.py",
           "if type(value) is not int or value < 0:", "if False:", KEYFILE),
    # validated once per content: only a recorded digest skips the point checks, and only records
    # in a directory no other user can write count
    Mutant("key file: an unrecorded digest skips validation", "zk/formats/keyfile.py",
           "trusted = deep is None and was_validated(digest)", "trusted = deep is None", KEYFILE_RECORDS),
    Mutant("key file: records in a directory others can write count", "zk/formats/keyfile.py",
           "and not info.st_mode & 0o022", "", KEYFILE_RECORDS),
    # zk prove's key checksum computed in a thread during the imports: used only for the bytes it covers
    Mutant("key file: a background checksum of other bytes is trusted", "zk/formats/keyfile.py",
           "if hashed is not None and hashed.start == start and hashed.size == data.shape[0] \\\n"
           "            and (hashed.size == 0 or data.ctypes.data == np.frombuffer(hashed.buffer, dtype=np.uint8).ctypes.data):",
           "if hashed is not None:", ("tests/test_groth16_keyfile.py", "-k", "hashed_in_background")),
    # the ahead-of-time verifier module: what may be loaded, and what it may decide
    Mutant("aot: a module not matching its manifest's SHA-256 is loaded", "zk/aot/store.py",
           'if hashlib.sha256(data).hexdigest() != manifest.get("sha256"):', "if False:",
           (*AOT, "-k", "truncated")),
    Mutant("aot: a module directory others can write is used", "zk/aot/store.py",
           "if not stat.S_ISDIR(info.st_mode) or not _private(info):", "if not stat.S_ISDIR(info.st_mode):",
           (*AOT, "-k", "writable_by_others")),
    Mutant("aot: public inputs >= r go to the module", "zk/aot/verifier.py",
           "if any(v >= R for v in public):", "if False:", (*AOT, "-k", "same_outcome")),
    # finding 6 and 2: circom header, label and section consistency
    Mutant("r1cs: fewer labels than wires", "zk/formats/circom.py", "if n_labels < n_wires:", "if False:", R1CS),
    Mutant("r1cs: label count unbounded", "zk/formats/circom.py", "if n_labels > MAX_LABELS:", "if False:", R1CS),
    Mutant("r1cs: wire label beyond n_labels", "zk/formats/circom.py", "if label >= n_labels:", "if False:", R1CS),
    Mutant("r1cs: two wires one label", "zk/formats/circom.py", "if label in seen:", "if False:", R1CS),
    Mutant("r1cs: constant wire relabelled", "zk/formats/circom.py", "if wire_to_label[0] != 0:", "if False:", R1CS),
    Mutant("r1cs: wire2label size", "zk/formats/circom.py",
           "if labels_reader.remaining != 8 * n_wires:", "if False:", R1CS),
    Mutant("r1cs: inconsistent header counts", "zk/formats/circom.py",
           "if n_wires < 1 or 1 + n_pub_out + n_pub_in + n_prv_in > n_wires:", "if False:", R1CS),
    Mutant("r1cs: bytes after the constraints", "zk/formats/circom.py", "if body.remaining:", "if False:", R1CS),
    Mutant("r1cs: symbol label beyond n_labels", "zk/formats/circom.py", "if s.label >= n_labels:", "if False:", R1CS),
    Mutant("container: section twice", "zk/formats/binio.py", "if kind in sections:", "if False:", R1CS),
    Mutant("container: bytes after the last section", "zk/formats/binio.py",
           "    if reader.remaining:\n        raise error(f\"{what}: {reader.remaining} unexpected",
           "    if False:\n        raise error(f\"{what}: {reader.remaining} unexpected", R1CS),
    Mutant("binio: declared counts not compared with the bytes", "zk/formats/binio.py",
           "if n < 0 or n * item_bytes > self.remaining:", "if n < 0:", R1CS),
    # findings 3 and 4
    Mutant("decimal: no length limit", "zk/field/decimal.py",
           "    if digits > MAX_DECIMAL_DIGITS:\n", "    if False:\n", DECIMAL),
    Mutant("degenerate: delta = -gamma allowed", "zk/groth16/keys.py",
           "if delta_g2 == -gamma_g2:", "if False:", DEGENERATE),
    Mutant("degenerate: delta = gamma allowed", "zk/groth16/keys.py",
           "if delta_g2 == gamma_g2:", "if False:", DEGENERATE),
    Mutant("degenerate: IC at infinity allowed", "zk/groth16/keys.py",
           "        if point.is_infinity():\n            return f\"vk IC",
           "        if False:\n            return f\"vk IC", DEGENERATE),
    Mutant("degenerate: equal IC points allowed", "zk/groth16/keys.py", "if other in seen:", "if False:", DEGENERATE),
    Mutant("degenerate: verify does not check the key", "zk/groth16/verify.py",
           "    vk.require_sound()\n    values = check_public_inputs", "    values = check_public_inputs", DEGENERATE),
    # the verifier's one kernel: the public inputs must reach the pairing (else a proof verifies
    # for any statement)
    Mutant("verify: public inputs left out of the kernel's public-input term", "zk/groth16/verify.py",
           'ic, scalars = vk.prepared()["ic"], field_arrays.ints_to_raw(values)',
           'ic, scalars = vk.prepared()["ic"], field_arrays.ints_to_raw([0] * len(values))', VERIFIER),
    # finding 1
    Mutant("wallet: group/world-readable files accepted", "circuits/app/vault.py",
           "if mode & 0o077:", "if False:", WALLET),
    Mutant("wallet: colliding nullifier accepted", "circuits/app/wallet.py",
           "if nf in held:", "if False:", WALLET),
]


def numba_cache_dir() -> str:
    sys.path.insert(0, str(ROOT))
    import conftest  # noqa: F401  (computes the source-keyed directory from the unmutated tree)

    return os.environ["NUMBA_CACHE_DIR"]


def passes(tests: tuple[str, ...], env: dict) -> bool:
    result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    return result.returncode == 0


def run(mutant: Mutant, env: dict) -> tuple[bool, float]:
    path = ROOT / mutant.path
    original = path.read_text()
    if original.count(mutant.old) != 1:
        raise SystemExit(f"mutant {mutant.name!r}: the snippet occurs {original.count(mutant.old)} times in "
                         f"{mutant.path}; update scripts/mutation.py")
    start = time.perf_counter()
    try:
        path.write_text(original.replace(mutant.old, mutant.new))
        killed = not passes(mutant.tests, env)
    finally:
        path.write_text(original)
    return killed, time.perf_counter() - start


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="only mutants whose name contains this")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if args.k in m.name]
    if args.list:
        for m in chosen:
            print(f"{m.name}  ({m.path})")
        return 0
    # SIGTERM (a timeout) unwinds like Ctrl-C, so the `finally` that restores the file runs.
    signal.signal(signal.SIGTERM, _interrupt)
    env = {**os.environ, "NUMBA_CACHE_DIR": numba_cache_dir(), "ZK_FUZZ_EXAMPLES": "10"}
    # A mutant counts as killed only if its tests pass on the unmutated tree.
    for tests in dict.fromkeys(m.tests for m in chosen):
        if not passes(tests, env):
            raise SystemExit(f"the tests {' '.join(tests)} fail without any mutation: fix them first")
    survivors = []
    for mutant in chosen:
        killed, seconds = run(mutant, env)
        print(f"{'killed  ' if killed else 'SURVIVED'} {seconds:6.1f} s  {mutant.name}", flush=True)
        if not killed:
            survivors.append(mutant.name)
    print(f"{len(chosen) - len(survivors)} of {len(chosen)} mutants killed")
    for name in survivors:
        print(f"  survivor: {name}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())

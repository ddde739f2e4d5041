"""The Community Credits application on top of the circuits: CreditsSystem (compiled circuits and
their cached keys, circuits.app.system), the Ledger (circuits.app.ledger), Wallets
(circuits.app.wallet), the data directory (circuits.app.home), the demo and the `zk credits`
commands (circuits.app.cli, registered with `zk` through the `zk.commands` entry point)."""

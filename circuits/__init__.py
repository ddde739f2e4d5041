"""Community Credits (docs/PROTOCOL.md), built on zk: the purchase / assign / redeem circuits and
the protocol primitives they share (circuits.protocol, circuits.witness). The application that
runs them (keys, ledger, wallets, the data directory, the demo, `zk credits`) is circuits.app.
See docs/credits.md."""

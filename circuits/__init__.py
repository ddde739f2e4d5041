"""Community Credits (docs/PROTOCOL.md): purchase / assign / redeem circuits, the ledger model and
wallets. Entry points: circuits.system.CreditsSystem, circuits.ledger.Ledger, circuits.wallet.Wallet
(see docs/credits.md)."""

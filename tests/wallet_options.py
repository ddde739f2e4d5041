"""How tests open wallets: a stated passphrase and a cheap (still memory-hard) scrypt cost, so that
the many wallets the tests create do not each spend 128 MiB and a few hundred milliseconds."""
TEST_WALLET = {"passphrase": "test passphrase", "scrypt_n": 1 << 10}

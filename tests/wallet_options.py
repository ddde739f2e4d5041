"""How tests open wallets: a stated passphrase and a cheap (still memory-hard) scrypt cost, so that
the many wallets the tests create do not each spend 128 MiB and a few hundred milliseconds."""
import pytest

from circuits.app.wallet import Wallet

TEST_WALLET = {"passphrase": "test passphrase", "scrypt_n": 1 << 10}


# A test module that imports these gets them as fixtures: the two wallets most ledger tests need.
@pytest.fixture
def user(tmp_path):
    return Wallet(tmp_path / "user.db", **TEST_WALLET)


@pytest.fixture
def operator(tmp_path):
    return Wallet(tmp_path / "operator.db", **TEST_WALLET)

"""bot/local_secrets.py: one value per name, shared by every service, owner-only."""

import stat
from concurrent.futures import ProcessPoolExecutor

import pytest

from bot import local_secrets
from bot.local_secrets import SecretError, secret


@pytest.fixture(autouse=True)
def secrets_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path / "secrets"))
    monkeypatch.delenv("CHAT_SESSION_SECRET", raising=False)
    return tmp_path / "secrets"


def test_a_secret_is_made_once_and_kept_owner_only(secrets_dir):
    first = secret("CHAT_SESSION_SECRET")
    assert len(first) >= 32 and secret("CHAT_SESSION_SECRET") == first
    assert secret("STAFF_SECRET_KEY") != first
    path = secrets_dir / "CHAT_SESSION_SECRET"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700


def _read(_):
    return local_secrets.secret("RASA_API_TOKEN")


def test_services_starting_at_once_agree_on_one_value(secrets_dir):
    with ProcessPoolExecutor(4) as pool:
        values = set(pool.map(_read, range(16)))
    assert len(values) == 1 and (secrets_dir / "RASA_API_TOKEN").read_text() in values


def test_the_environment_wins_and_a_short_or_broken_value_is_refused(secrets_dir, monkeypatch):
    monkeypatch.setenv("CHAT_SESSION_SECRET", "x" * 40)
    assert secret("CHAT_SESSION_SECRET") == "x" * 40
    monkeypatch.setenv("CHAT_SESSION_SECRET", "short")
    with pytest.raises(SecretError, match="at least 32"):
        secret("CHAT_SESSION_SECRET")
    secrets_dir.mkdir(exist_ok=True)
    (secrets_dir / "STAFF_SECRET_KEY").write_text("half")
    with pytest.raises(SecretError, match="no usable secret"):
        secret("STAFF_SECRET_KEY")
    with pytest.raises(ValueError):
        secret("../etc/passwd")

"""Staff accounts (bot/store/accounts.py): hashed passwords, sessions that
expire, failed logins slowed down, everything audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.store import InvalidInput, LeadStore, NotFound
from bot.store import accounts as accounts_module
from bot.store.accounts import LOCK_AFTER, StaffAccounts

PASSWORD = "correct horse battery"


@pytest.fixture
def clock(monkeypatch):
    """A controllable 'now' for the accounts module."""
    state = {"now": datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)}
    monkeypatch.setattr(accounts_module, "_now", lambda: state["now"])

    def advance(**delta):
        state["now"] += timedelta(**delta)

    return advance


@pytest.fixture
def accounts(tmp_path) -> StaffAccounts:
    acc = StaffAccounts(LeadStore(tmp_path / "leads.db"), idle_minutes=30, max_hours=12, require_totp=False)
    acc.create_user("alice", PASSWORD, display_name="Alice Chen", by="admin")
    return acc


def all_rows(store: LeadStore, table: str) -> list[dict]:
    return store.run(lambda db: db.query(f"SELECT * FROM {table}"), write=False)


def test_password_is_stored_only_as_an_argon2_hash(accounts):
    [user] = all_rows(accounts.store, "staff_users")
    assert user["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in json.dumps(all_rows(accounts.store, "staff_users"))
    assert PASSWORD not in json.dumps(accounts.store.audit_log())
    assert [u["username"] for u in accounts.list_users()] == ["alice"]
    assert "password_hash" not in accounts.list_users()[0]


@pytest.mark.parametrize(
    "name, password, message",
    [
        ("Bob Smith", PASSWORD, "user name"),
        ("b", PASSWORD, "user name"),
        ("<script>", PASSWORD, "user name"),
        ("bob", "short", "at least 12"),
        ("bob", "bob-is-my-password", "user name"),
        ("bob", "aaaaaaaaaaaaaaaa", "different characters"),
    ],
)
def test_bad_names_and_weak_passwords_are_refused(accounts, name, password, message):
    with pytest.raises(InvalidInput, match=message):
        accounts.create_user(name, password, by="admin")


def test_a_name_is_taken_once(accounts):
    with pytest.raises(InvalidInput, match="exists already"):
        accounts.create_user("Alice", "another good password", by="admin")


def test_login_starts_a_session_and_logout_ends_it(accounts, clock):
    result = accounts.login("alice", PASSWORD, client="10.0.0.1")
    assert result.ok and result.user.label == "Alice Chen"
    assert accounts.session(result.token).username == "alice"
    # Only a hash of the token is kept.
    assert result.token not in json.dumps(all_rows(accounts.store, "staff_sessions"))
    accounts.end_session(result.token)
    assert accounts.session(result.token) is None
    actions = [a["action"] for a in accounts.store.audit_log()]
    assert actions[:2] == ["logout", "login"]


def test_wrong_password_unknown_user_and_disabled_account_are_refused(accounts):
    assert not accounts.login("alice", "wrong password!!").ok
    assert not accounts.login("mallory", PASSWORD).ok
    assert not accounts.login("", "").ok
    accounts.set_disabled("alice", True, by="admin")
    assert not accounts.login("alice", PASSWORD).ok
    accounts.set_disabled("alice", False, by="admin")
    assert accounts.login("alice", PASSWORD).ok
    failed = [a for a in accounts.store.audit_log() if a["action"] == "login-failed"]
    assert len(failed) == 4


def test_sessions_expire_when_idle_and_in_any_case(accounts, clock):
    token = accounts.login("alice", PASSWORD).token
    clock(minutes=29)
    assert accounts.session(token) is not None  # used: the idle clock restarts
    clock(minutes=29)
    assert accounts.session(token) is not None
    clock(minutes=31)
    assert accounts.session(token) is None  # idle for more than 30 minutes

    token = accounts.login("alice", PASSWORD).token
    for _ in range(25):  # busy all day: still ends after 12 hours
        clock(minutes=29)
        accounts.session(token)
    assert accounts.session(token) is None


def test_password_change_and_disabling_end_every_session(accounts):
    first, second = (accounts.login("alice", PASSWORD).token for _ in range(2))
    accounts.set_password("alice", "a brand new passphrase", by="alice")
    assert accounts.session(first) is None and accounts.session(second) is None
    assert not accounts.login("alice", PASSWORD).ok
    token = accounts.login("alice", "a brand new passphrase").token
    accounts.set_disabled("alice", True, by="admin")
    assert accounts.session(token) is None
    with pytest.raises(NotFound):
        accounts.set_password("nobody", "a brand new passphrase", by="admin")


def test_repeated_failures_lock_the_account_for_longer_each_time(accounts, clock):
    for _ in range(LOCK_AFTER - 1):
        assert accounts.login("alice", "guess guess guess", client="10.0.0.9").locked_for == 0
    fifth = accounts.login("alice", "guess guess guess", client="10.0.0.9")
    assert fifth.locked_for == 30
    # Locked: even the right password is refused, without being checked.
    refused = accounts.login("alice", PASSWORD, client="10.0.0.1")
    assert not refused.ok and 0 < refused.locked_for <= 30
    clock(seconds=31)
    assert accounts.login("alice", "guess again please", client="10.0.0.2").locked_for == 60
    clock(seconds=61)
    assert accounts.login("alice", PASSWORD, client="10.0.0.1").ok  # success clears the count
    assert accounts.login("alice", "one more wrong one", client="10.0.0.3").locked_for == 0


def test_one_address_guessing_many_names_is_locked_too(accounts, clock):
    for i in range(LOCK_AFTER):
        accounts.login(f"user{i}", "guess guess guess", client="203.0.113.7")
    assert accounts.login("alice", PASSWORD, client="203.0.113.7").locked_for > 0
    assert accounts.login("alice", PASSWORD, client="10.0.0.1").ok  # from elsewhere: fine


def test_a_quiet_hour_forgets_old_failures(accounts, clock):
    for _ in range(LOCK_AFTER - 1):
        accounts.login("alice", "guess guess guess")
    clock(hours=2)
    assert accounts.login("alice", "guess guess guess").locked_for == 0


def test_forged_or_huge_tokens_are_no_session(accounts):
    assert accounts.session("") is None
    assert accounts.session("x" * 10_000) is None
    assert accounts.session("' OR 1=1 --") is None


def test_accounts_work_on_postgresql(postgres_url, clock):
    acc = StaffAccounts(LeadStore(postgres_url), require_totp=False)
    acc.create_user("bob", PASSWORD, by="admin")
    token = acc.login("bob", PASSWORD, client="127.0.0.1").token
    assert acc.session(token).username == "bob"
    for _ in range(LOCK_AFTER):
        acc.login("bob", "guess guess guess", client="127.0.0.1")
    assert acc.login("bob", PASSWORD, client="127.0.0.1").locked_for > 0


# --------------------------------------------------------------------------
# Second factor (TOTP) and recovery codes
# --------------------------------------------------------------------------
@pytest.fixture
def totp_accounts(accounts):
    """The default: a second factor required; alice has one enrolled."""
    required = StaffAccounts(accounts.store, idle_minutes=30, max_hours=12, require_totp=True)
    enrolment = required.enrol_totp("alice", by="admin")
    return required, enrolment


def code_at(secret: str, when: datetime, steps: int = 0) -> str:
    import pyotp

    return pyotp.TOTP(secret).at(when, counter_offset=steps)


def test_required_by_default_and_an_account_without_one_cannot_log_in(tmp_path, monkeypatch):
    monkeypatch.delenv("STAFF_REQUIRE_TOTP", raising=False)
    acc = StaffAccounts(LeadStore(tmp_path / "leads.db"))
    assert acc.require_totp
    acc.create_user("carol", PASSWORD, by="admin")
    result = acc.login("carol", PASSWORD)
    assert not result.ok and result.no_second_factor and not result.needs_code
    assert any(a["action"] == "login-refused" and "no second factor" in a["detail"] for a in acc.store.audit_log())
    monkeypatch.setenv("STAFF_REQUIRE_TOTP", "maybe")
    with pytest.raises(InvalidInput, match="STAFF_REQUIRE_TOTP"):
        StaffAccounts(LeadStore(tmp_path / "leads.db"))


def test_enrolment_gives_a_uri_and_ten_recovery_codes_stored_hashed(totp_accounts):
    accounts, enrolment = totp_accounts
    assert enrolment.uri.startswith("otpauth://totp/") and "secret=" + enrolment.secret in enrolment.uri
    assert "issuer=NCT05617859" in enrolment.uri and len(enrolment.recovery_codes) == 10
    assert len(set(enrolment.recovery_codes)) == 10
    stored = json.dumps(all_rows(accounts.store, "staff_recovery_codes"))
    assert not any(code in stored or code.replace("-", "") in stored for code in enrolment.recovery_codes)
    assert enrolment.secret not in json.dumps(accounts.store.audit_log())
    [user] = accounts.list_users()
    assert user["totp_enrolled_at"] and user["recovery_codes"] == 10


def test_password_then_code_and_a_code_works_once(totp_accounts, clock):
    accounts, enrolment = totp_accounts
    first = accounts.login("alice", PASSWORD, client="10.0.0.1")
    assert not first.ok and first.needs_code and first.token is None
    now = accounts_module._now()
    done = accounts.second_factor(first.challenge, code_at(enrolment.secret, now), client="10.0.0.1")
    assert done.ok and done.user.second_factor and accounts.session(done.token).username == "alice"
    # The same code again (a replay within its 30 s): refused.
    again = accounts.login("alice", PASSWORD, client="10.0.0.1")
    refused = accounts.second_factor(again.challenge, code_at(enrolment.secret, now), client="10.0.0.1")
    assert not refused.ok
    # The next one is fine; the challenge itself works once.
    clock(seconds=30)
    later = accounts.second_factor(again.challenge, code_at(enrolment.secret, accounts_module._now()))
    assert later.ok
    assert accounts.second_factor(again.challenge, code_at(enrolment.secret, accounts_module._now(), 1)).challenge_gone
    actions = [a["action"] for a in accounts.store.audit_log()]
    assert actions.count("login-password-ok") == 2 and actions.count("login") == 2


def test_wrong_codes_count_as_failures_lock_and_use_up_the_challenge(totp_accounts, clock):
    accounts, enrolment = totp_accounts
    challenge = accounts.login("alice", PASSWORD, client="10.0.0.1").challenge
    for _ in range(LOCK_AFTER - 1):
        result = accounts.second_factor(challenge, "000000", client="10.0.0.1")
        assert not result.ok and result.locked_for == 0
    fifth = accounts.second_factor(challenge, "000000", client="10.0.0.1")
    assert fifth.locked_for == 30 and fifth.challenge_gone  # 5 tries: log in again
    right = code_at(enrolment.secret, accounts_module._now())
    assert not accounts.second_factor(challenge, right, client="10.0.0.1").ok
    assert accounts.login("alice", PASSWORD, client="10.0.0.1").locked_for > 0  # the lockout holds
    failed = [a for a in accounts.store.audit_log() if a["action"] == "login-failed"]
    assert len(failed) == 5 and all("second-factor" in a["detail"] for a in failed)


def test_a_challenge_expires_after_five_minutes(totp_accounts, clock):
    accounts, enrolment = totp_accounts
    challenge = accounts.login("alice", PASSWORD).challenge
    clock(minutes=6)
    result = accounts.second_factor(challenge, code_at(enrolment.secret, accounts_module._now()))
    assert not result.ok and result.challenge_gone
    assert accounts.second_factor("forged-challenge", "123456").challenge_gone


def test_recovery_codes_work_once_each(totp_accounts, clock):
    accounts, enrolment = totp_accounts
    code = enrolment.recovery_codes[0]
    result = accounts.second_factor(accounts.login("alice", PASSWORD).challenge, code.lower().replace("-", " "))
    assert result.ok and result.recovery_codes_left == 9
    again = accounts.second_factor(accounts.login("alice", PASSWORD).challenge, code)
    assert not again.ok
    [entry] = [a for a in accounts.store.audit_log() if a["action"] == "login" and "recovery" in a["detail"]]
    assert "9 left" in entry["detail"] and code not in json.dumps(accounts.store.audit_log())
    fresh = accounts.new_recovery_codes("alice", by="admin")
    assert not accounts.second_factor(accounts.login("alice", PASSWORD).challenge, enrolment.recovery_codes[1]).ok
    assert accounts.second_factor(accounts.login("alice", PASSWORD).challenge, fresh[0]).ok


def test_re_enrolling_replaces_the_secret_and_ends_sessions(totp_accounts, clock):
    accounts, enrolment = totp_accounts
    now = accounts_module._now()
    token = accounts.second_factor(accounts.login("alice", PASSWORD).challenge, code_at(enrolment.secret, now)).token
    new = accounts.enrol_totp("alice", by="admin")
    assert accounts.session(token) is None and new.secret != enrolment.secret
    clock(seconds=30)
    challenge = accounts.login("alice", PASSWORD).challenge
    assert not accounts.second_factor(challenge, code_at(enrolment.secret, accounts_module._now())).ok
    assert accounts.second_factor(challenge, code_at(new.secret, accounts_module._now())).ok
    accounts.remove_totp("alice", by="admin")
    assert accounts.login("alice", PASSWORD).no_second_factor  # required, and none left
    with pytest.raises(NotFound):
        accounts.new_recovery_codes("alice", by="admin")


def test_an_enrolled_account_needs_its_code_even_where_the_factor_is_not_required(totp_accounts):
    required, _ = totp_accounts
    relaxed = StaffAccounts(required.store, require_totp=False)
    assert relaxed.login("alice", PASSWORD).needs_code


def test_language_preference_per_account(accounts):
    assert accounts.login("alice", PASSWORD).user.language == "en"
    accounts.set_language("alice", "zh", by="alice")
    token = accounts.login("alice", PASSWORD).token
    assert accounts.session(token).language == "zh"
    with pytest.raises(InvalidInput, match="language"):
        accounts.set_language("alice", "fr", by="alice")
    assert any(a["action"] == "user-language" for a in accounts.store.audit_log())

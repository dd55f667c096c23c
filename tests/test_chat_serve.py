"""scripts/serve.py's chat and Rasa-API settings: the API never runs without a token."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def serve(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("serve_under_test", ROOT / "scripts" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    for key, value in module.DEFAULTS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    for key, name in module.VAR_DEFAULTS.items():
        monkeypatch.setenv(key, str(tmp_path / "var" / name))
    for key in (
        "RASA_ENABLE_API",
        "RASA_API_TOKEN",
        "CHAT_ORIGINS",
        "ACTION_SERVER_TOKEN",
        "REST_TOKEN",
        "CHAT_SESSION_SECRET",
        "CHAT_COOKIE_SECURE",
    ):
        monkeypatch.delenv(key, raising=False)
    return module


def rasa_command(serve) -> list:
    services = serve.build_services(argparse.Namespace(timeout=10))
    return next(s for s in services if s.name == "rasa").cmd


def test_the_rasa_http_api_is_off_by_default(serve):
    assert "--enable-api" not in rasa_command(serve)


def test_the_rasa_http_api_is_only_ever_on_with_a_token_that_is_never_logged(serve, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("RASA_ENABLE_API", "1")
    cmd = rasa_command(serve)
    token = cmd[cmd.index("--auth-token") + 1]
    assert "--enable-api" in cmd and len(token) >= 32
    assert token == (tmp_path / "var" / "secrets" / "RASA_API_TOKEN").read_text().strip()
    assert str(tmp_path / "var" / "secrets" / "RASA_API_TOKEN") in capsys.readouterr().out  # says where it is kept
    assert token not in serve.printable(cmd) and "--auth-token ***" in serve.printable(cmd)
    monkeypatch.setenv("RASA_API_TOKEN", "short")
    with pytest.raises(serve.StartupError):
        rasa_command(serve)


def test_cors_and_the_socket_channel_get_the_chat_page_origins(serve, monkeypatch):
    cmd = rasa_command(serve)
    assert cmd[cmd.index("--cors") + 1 :] == ["http://localhost:8080", "http://127.0.0.1:8080"]
    monkeypatch.setenv("CHAT_ORIGINS", "https://trial.example.org/")
    cmd = rasa_command(serve)
    assert cmd[cmd.index("--cors") + 1 :] == ["https://trial.example.org"]


def test_dashboard_is_checked_on_its_health_url_and_the_notifier_runs_without_a_port(serve, monkeypatch):
    services = {s.name: s for s in serve.build_services(argparse.Namespace(timeout=10))}
    assert services["staff"].health_path == "/healthz"
    notifier = services["notifier"]
    assert notifier.port is None and notifier.cmd[-3:] == ["notify-retry", "--every", "60"]
    checked = []
    monkeypatch.setattr(serve, "port_in_use", lambda host, port: checked.append(port) or False)
    serve.check_ports(list(services.values()))
    assert None not in checked and len(checked) == len(services) - 1


def test_start_up_reminds_what_a_site_must_set_before_going_live(serve, monkeypatch, tmp_path):
    monkeypatch.setenv("LEAD_DB", str(tmp_path / "leads.db"))
    monkeypatch.delenv("TRIAL_CONTACT_PHONE", raising=False)
    monkeypatch.setenv("TRIAL_CONTACT_EMAIL", "sarcoma-study@example.org")
    reminders = serve.deployment_reminders()
    assert any("TRIAL_CONTACT_PHONE" in r for r in reminders)
    assert not any("TRIAL_CONTACT_EMAIL" in r for r in reminders)
    assert any("no staff account" in r for r in reminders)

    from bot.store.accounts import StaffAccounts

    StaffAccounts().create_user("alice", "Correct-Horse-42-battery", by="test")
    monkeypatch.setenv("TRIAL_CONTACT_PHONE", "+86 371 6558 7000")
    assert serve.deployment_reminders() == []


# ---------------------------------------------------------------- internal secrets, var/, stores


def test_the_action_server_is_ours_and_its_health_check_sends_the_secret(serve, tmp_path):
    services = {s.name: s for s in serve.build_services(argparse.Namespace(timeout=10))}
    actions = services["actions"]
    assert actions.cmd[1:3] == ["-m", "actions.server"] and actions.cmd[-2:] == ["--port", "5055"]
    token = (tmp_path / "var" / "secrets" / "ACTION_SERVER_TOKEN").read_text().strip()
    assert actions.health_headers == {"Authorization": f"Bearer {token}"} and len(token) >= 32
    assert token not in serve.printable(actions.cmd)


def test_internal_secrets_are_made_owner_only_and_the_environment_wins(serve, tmp_path, monkeypatch):
    values = serve.internal_secrets()
    assert set(values) == {"CHAT_SESSION_SECRET", "ACTION_SERVER_TOKEN", "REST_TOKEN"}
    assert len(set(values.values())) == 3
    rest_file = tmp_path / "var" / "rest_token"  # where DESIGN.md says the run command puts it
    assert rest_file.read_text().strip() == values["REST_TOKEN"]
    assert stat.S_IMODE(rest_file.stat().st_mode) == 0o600
    secrets_dir = tmp_path / "var" / "secrets"
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    for name in ("CHAT_SESSION_SECRET", "ACTION_SERVER_TOKEN"):
        assert stat.S_IMODE((secrets_dir / name).stat().st_mode) == 0o600
    assert serve.internal_secrets() == values  # the same on the next start
    monkeypatch.setenv("REST_TOKEN", "r" * 40)  # every replica gets the same value from the environment
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "a" * 40)
    again = serve.internal_secrets()
    assert again["REST_TOKEN"] == "r" * 40 and again["ACTION_SERVER_TOKEN"] == "a" * 40
    assert "environment variable REST_TOKEN" in serve.secret_location("REST_TOKEN")


def test_var_and_its_logs_are_owner_only(serve, tmp_path):
    var = tmp_path / "var"
    (var / "log").mkdir(parents=True)
    os.chmod(var, 0o755)
    os.chmod(var / "log", 0o755)
    old_log = var / "log" / "rasa.log"
    old_log.write_text("an earlier run\n")
    os.chmod(old_log, 0o644)
    serve.prepare_var()
    for path, mode in ((var, 0o700), (var / "log", 0o700), (old_log, 0o600)):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    with serve.private_file(var / "log" / "new.log") as log:
        log.write(b"x")
    assert stat.S_IMODE((var / "log" / "new.log").stat().st_mode) == 0o600


def test_plain_http_cookies_only_for_loopback_and_only_when_unset(serve, monkeypatch):
    note = serve.plain_http_chat_cookie()
    assert "CHAT_COOKIE_SECURE=0" in note and os.environ["CHAT_COOKIE_SECURE"] == "0"
    monkeypatch.setenv("CHAT_COOKIE_SECURE", "1")
    assert serve.plain_http_chat_cookie() is None and os.environ["CHAT_COOKIE_SECURE"] == "1"
    monkeypatch.delenv("CHAT_COOKIE_SECURE")
    monkeypatch.setenv("BIND_HOST", "0.0.0.0")
    assert serve.plain_http_chat_cookie() is None and "CHAT_COOKIE_SECURE" not in os.environ


def test_a_damaged_store_stops_the_start_naming_the_file(serve, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    serve.check_stores()  # missing files are fine: they are created
    (var / "leads.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(serve.StartupError) as refused:
        serve.check_stores()
    assert str(var / "leads.db") in str(refused.value) and "LEAD_DB" in str(refused.value)
    (var / "leads.db").unlink()
    sqlite3.connect(var / "tracker.db").execute("CREATE TABLE events (id INTEGER)").connection.commit()
    serve.check_stores()
    data = bytearray((var / "tracker.db").read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the first page's content, after the header
    (var / "tracker.db").write_bytes(bytes(data))
    with pytest.raises(serve.StartupError, match="tracker.db"):
        serve.check_stores()


def test_a_bad_port_is_a_start_up_error(serve, monkeypatch):
    monkeypatch.setenv("CHAT_PORT", "eighty")
    with pytest.raises(serve.StartupError, match="CHAT_PORT"):
        serve.build_services(argparse.Namespace(timeout=10))

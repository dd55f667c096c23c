"""scripts/serve.py's chat and Rasa-API settings: the API never runs without a token."""

from __future__ import annotations

import argparse
import importlib.util
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
    for key in ("RASA_ENABLE_API", "RASA_API_TOKEN", "CHAT_ORIGINS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path / "secrets"))
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
    assert token == (tmp_path / "secrets" / "RASA_API_TOKEN").read_text().strip()
    assert str(tmp_path / "secrets" / "RASA_API_TOKEN") in capsys.readouterr().out  # says where it is kept
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

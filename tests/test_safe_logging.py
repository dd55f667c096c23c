"""bot/safe_logging.py: lines that cannot fill the disk, warnings without their text once serving, private log files."""

from __future__ import annotations

import logging
import stat
import sys
import warnings

from bot import safe_logging
from bot.safe_logging import Throttle, private_file


def test_the_throttle_logs_ten_lines_a_minute_per_kind_then_says_how_many_it_left_out(caplog):
    now = [0.0]
    throttle = Throttle(per_minute=10, clock=lambda: now[0])
    log = logging.getLogger("test.throttle")
    with caplog.at_level(logging.INFO, logger="test.throttle"):
        logged = [throttle.log(log, logging.INFO, "flood", "refused one") for _ in range(100)]
        assert logged.count(True) == 10
        assert throttle.log(log, logging.INFO, "other", "another kind")  # counted apart
        now[0] += 61
        assert throttle.log(log, logging.INFO, "flood", "refused one")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 12 and lines[-1] == "refused one (90 more like this were not logged)"


def test_warnings_keep_their_text_while_starting_and_lose_it_once_serving(caplog, capsys, monkeypatch):
    monkeypatch.setattr(safe_logging, "_serving", type(safe_logging._serving)())

    # The printer it falls back to while starting, as Python's own prints (pytest records
    # warnings instead, so the standard printer would print nothing here).
    def print_warning(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    monkeypatch.setattr(safe_logging, "_original_showwarning", print_warning)
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    safe_logging.withhold_warning_text()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        monkeypatch.setattr(warnings, "showwarning", safe_logging._showwarning)
        warnings.warn("configuration: the lock store is in memory", UserWarning, stacklevel=1)
        assert "lock store is in memory" in capsys.readouterr().err
        safe_logging.serving()
        with caplog.at_level(logging.WARNING, logger="py.warnings"):
            warnings.warn("Parsed an entity 'I have HIV' which is not defined in the domain", UserWarning, stacklevel=1)
    assert "HIV" not in capsys.readouterr().err
    [line] = [r.getMessage() for r in caplog.records if r.name == "py.warnings"]
    assert line.startswith("UserWarning at test_safe_logging.py:") and "HIV" not in line


def test_log_files_are_created_owner_only_and_made_so(tmp_path):
    path = tmp_path / "x.log"
    with private_file(path) as handle:
        handle.write(b"one\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    with private_file(path) as handle:
        handle.write(b"two\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b"one\ntwo\n"

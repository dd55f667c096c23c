"""Logging that never writes health data and cannot fill the disk.

What people type is health data; logs are not the place for it (SECURITY.md
"Logs"). Three tools, standard library only:

- :class:`Throttle`: a log line per event, but at most ``per_minute`` lines
  a minute per kind of event; the next line after a quiet spell says how many
  were left out. For events anyone on the network can cause (refused
  requests, malformed frames, floods).
- :func:`withhold_warning_text`: Python warnings are printed with their
  category and where they were raised, never their message, once a server is
  serving. Rasa and its libraries put the text they are parsing into warnings
  (``/inform{"note": "I have HIV"}`` gives a UserWarning that quotes the
  entity); the warnings printed while a server starts are about its
  configuration and are kept whole.
- :func:`private_file`: log files are created 0600 (and made 0600 when they
  exist with a wider mode).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

_serving = threading.Event()
_installed = False
_original_showwarning = warnings.showwarning


class Throttle:
    """At most ``per_minute`` log lines a minute for each ``kind``."""

    def __init__(self, per_minute: int = 10, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._windows: dict[str, tuple[float, int, int]] = {}  # kind -> (window start, lines, left out)
        self._lock = threading.Lock()

    def log(self, logger: logging.Logger, level: int, kind: str, message: str, *args: object) -> bool:
        """Log ``message % args`` unless ``kind`` has had its lines this minute; True if logged.
        The arguments must be ids, counts and type names: never text someone typed."""
        with self._lock:
            now = self.clock()
            start, lines, left_out = self._windows.get(kind, (now, 0, 0))
            if now - start >= 60:
                start, lines = now, 0
            if lines >= self.per_minute:
                self._windows[kind] = (start, lines, left_out + 1)
                return False
            self._windows[kind] = (start, lines + 1, 0)
            if len(self._windows) > 1000:  # bounded: forget the oldest kinds
                for old in sorted(self._windows, key=lambda k: self._windows[k][0])[:500]:
                    del self._windows[old]
        if left_out:
            message += " (%d more like this were not logged)"
            args = (*args, left_out)
        logger.log(level, message, *args)
        return True


def _showwarning(message, category, filename, lineno, file=None, line=None) -> None:
    if not _serving.is_set():
        _original_showwarning(message, category, filename, lineno, file, line)
        return
    where = f"{os.path.basename(str(filename))}:{lineno}"
    logging.getLogger("py.warnings").warning(
        "%s at %s (its text is not logged: it may quote what someone typed)", category.__name__, where
    )


def withhold_warning_text() -> None:
    """Install the warning printer (idempotent); call :func:`serving` once the
    server answers requests."""
    global _installed
    if not _installed:
        warnings.showwarning = _showwarning
        _installed = True


def serving() -> None:
    """From now on warnings are printed without their text."""
    withhold_warning_text()
    _serving.set()


def private_file(path: Path, mode: str = "ab"):
    """Open ``path`` for appending, creating it 0600; an existing file is made 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except OSError:
        pass
    return os.fdopen(fd, mode)

"""Models for the bench: our current one, a timed clean training, the starter bot.

Rasa caches trained components under $RASA_CACHE_DIRECTORY (default
.rasa/cache in the working directory), so a "clean" training gets a fresh,
empty cache directory and a fresh output folder; models/ is never touched
except by scripts/train.sh (the usual train-if-needed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from .deployment import QUIET_ENV, RASA, ROOT, StartError, _die_with_parent, stop_process_group, tail

VENV = Path(sys.executable).parent.parent
STARTER_VERSION_FILE = "RASA_VERSION"
RASA_VERSION = version("rasa")


def _run(cmd, cwd: Path, log_path: Path, extra_env: dict[str, str] | None = None) -> float:
    """Run a command to its end with output to log_path; seconds it took. Raises on failure;
    on Ctrl-C its process group is stopped."""
    from bot.local_secrets import private_dir  # the bench puts the project root on the path
    from bot.safe_logging import private_file

    private_dir(log_path.parent)
    env = {**os.environ, **QUIET_ENV, "VENV": str(VENV), **(extra_env or {})}
    with private_file(log_path) as log:
        log.write(f"\n=== bench {time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(map(str, cmd))}\n".encode())
        log.flush()
        started = time.monotonic()
        process = subprocess.Popen(
            [str(c) for c in cmd],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            code = process.wait()
        finally:
            stop_process_group(process)
    seconds = time.monotonic() - started
    if code != 0:
        raise StartError(f"{' '.join(map(str, cmd))} failed (exit code {code}); end of {log_path}:\n{tail(log_path)}")
    return round(seconds, 1)


def current_model(log_path: Path) -> Path:
    """Train models/<hash>.tar.gz if the training data changed (scripts/train.sh), return its path."""
    _run(["bash", "scripts/train.sh"], ROOT, log_path)
    path = subprocess.run(
        ["bash", "scripts/train.sh", "--model-path"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "VENV": str(VENV)},
    ).stdout.strip()
    return ROOT / path


def train_ours_clean(workdir: Path, log_path: Path) -> tuple[float, Path]:
    """Train our bot from scratch (empty output folder and cache) into workdir; (seconds, model)."""
    out, cache = workdir / "models", workdir / "cache"
    out.mkdir(parents=True)
    cache.mkdir()
    domain = "domain.yml" if (ROOT / "domain.yml").exists() else "domain"
    seconds = _run(
        [
            RASA,
            "train",
            "--config",
            "config.yml",
            "--domain",
            domain,
            "--data",
            "data",
            "--fixed-model-name",
            "bench-clean",
            "--out",
            out,
        ],
        ROOT,
        log_path,
        {"RASA_CACHE_DIRECTORY": str(cache)},
    )
    return seconds, out / "bench-clean.tar.gz"


def _starter_model(project: Path) -> Path | None:
    models = sorted((project / "models").glob("*.tar.gz"))
    return models[-1] if models else None


def saved_starter(saved: Path) -> Path | None:
    """The starter bot's model saved by an earlier run with this rasa version, if any."""
    version_file = saved / STARTER_VERSION_FILE
    if not version_file.is_file() or version_file.read_text().strip() != RASA_VERSION:
        return None
    return _starter_model(saved)


def init_starter(workdir: Path, saved: Path, log_path: Path) -> tuple[float, Path]:
    """`rasa init --no-prompt` (creates the starter project and trains it) in a fresh
    folder with a fresh cache; the project is then saved to `saved` (without the
    cache) so --skip-train can reuse it. (seconds, model in `saved`)."""
    project = workdir / "starter"
    project.mkdir(parents=True)
    seconds = _run(
        [RASA, "init", "--no-prompt", "--init-dir", project],
        project,
        log_path,
        {"RASA_CACHE_DIRECTORY": str(workdir / "starter-cache")},
    )
    if _starter_model(project) is None:
        raise StartError(f"rasa init wrote no model in {project / 'models'}; see {log_path}")
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(project, saved, ignore=shutil.ignore_patterns(".rasa", "__pycache__"))
    (saved / STARTER_VERSION_FILE).write_text(RASA_VERSION + "\n")
    return seconds, _starter_model(saved)

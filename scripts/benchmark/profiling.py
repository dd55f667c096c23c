"""Optional sampling profiles of the servers while the measured conversations run.

py-spy is not a project dependency (the venv must match requirements.lock):
install it elsewhere and pass its path, e.g.
    python3 -m venv /tmp/prof && /tmp/prof/bin/pip install py-spy
    scripts/bench.py --py-spy /tmp/prof/bin/py-spy
Each server gets var/bench/profiles/<deployment>-<server>.txt in py-spy's "raw"
(collapsed stacks) format: flamegraph.pl and speedscope read it.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def py_spy(executable: str | None, pids: dict[str, int], out_dir: Path, prefix: str) -> Iterator[list[Path]]:
    """Record every pid until the block ends (nothing when executable is None)."""
    if not executable:
        yield []
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    recorders, outputs = [], []
    for name, pid in pids.items():
        out = out_dir / f"{prefix}-{name}.txt"
        log = open(out_dir / f"{prefix}-{name}.log", "wb")
        recorders.append(
            (
                subprocess.Popen(
                    [
                        executable,
                        "record",
                        "--pid",
                        str(pid),
                        "--rate",
                        "50",
                        "--subprocesses",
                        "--format",
                        "raw",
                        "-o",
                        str(out),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                log,
            )
        )
        outputs.append(out)
    try:
        yield outputs
    finally:
        for process, log in recorders:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()

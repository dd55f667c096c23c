"""Status on stderr: one line per phase (with a live clock on a terminal) and
a progress bar over conversations."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm


def say(text: str) -> None:
    tqdm.write(f"bench: {text}", file=sys.stderr)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """`bench: <name> ...`, a ticking clock while it runs (terminals only), then the time it took."""
    started = time.monotonic()
    say(f"{name} ...")
    clock = tqdm(
        total=None,
        desc=f"  {name}",
        bar_format="{desc}: {elapsed}",
        file=sys.stderr,
        leave=False,
        disable=not sys.stderr.isatty(),
    )
    done = threading.Event()

    def tick() -> None:
        while not done.wait(1):
            clock.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        clock.close()
    say(f"{name}: done in {time.monotonic() - started:.0f}s")


def conversation_bar(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=f"  {desc}", unit="conv", file=sys.stderr, dynamic_ncols=True, mininterval=0.5)

"""What the servers use: peak resident memory (sampled in a background thread)
and CPU seconds, each over a process and all its descendants."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psutil

MB = 1024 * 1024


def _tree_sum(pid: int, measure: Callable[[psutil.Process], float]) -> float:
    """``measure`` summed over a process and its live descendants (0 if it is gone)."""
    try:
        root = psutil.Process(pid)
        processes = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        try:
            total += measure(process)
        except psutil.Error:  # exited between listing and sampling
            pass
    return total


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    return int(_tree_sum(pid, lambda process: process.memory_info().rss))


def _user_and_system_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants."""
    return float(_tree_sum(pid, _user_and_system_seconds))


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    return {name: tree_cpu_seconds(pid) for name, pid in pids.items()}


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs, all programs) since boot."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))


def own_cpu_seconds() -> float:
    """CPU seconds of this process (the load driver)."""
    return _user_and_system_seconds(psutil.Process())


class PeakMemory:
    """Samples every `interval` seconds the trees of the pids `pids()` returns
    (name -> pid; asked each time, so servers started later are included) and
    keeps the peak per name. Use as a context manager."""

    def __init__(self, pids: Callable[[], dict[str, int]], interval: float = 0.2):
        self._pids, self._interval = pids, interval
        self._peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        for name, pid in self._pids().items():
            self._peaks[name] = max(self._peaks.get(name, 0), tree_rss(pid))

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._loop, name="peak-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()

    def peaks_mb(self) -> dict[str, float]:
        return {name: round(peak / MB, 1) for name, peak in self._peaks.items()}

"""The test suite's helpers the bench reuses (scripted answers, throw-away
PostgreSQL and Redis), imported by path: `import scripts` would be ambiguous
next to the scripts/ folder, and tests/ is not a package."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parents[2] / "tests"


def load(module_name: str) -> ModuleType:
    """tests/<module_name>.py as a module of its own."""
    spec = importlib.util.spec_from_file_location(f"bench_tests_{module_name}", TESTS / f"{module_name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

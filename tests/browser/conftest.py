"""Browser tests import the server helpers of tests/ (servers.py, web_servers.py, scripts.py)."""

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

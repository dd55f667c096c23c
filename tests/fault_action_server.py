"""The real action server (actions/server.py) with faults injected, for
tests/test_faults.py and tests/test_probes.py. Nothing here is in the product:
the faults come from wrapping rasa_sdk's executor in this process only.

    python tests/fault_action_server.py --port N

Environment:
    FAULT_RAISE_MARKER   an action whose latest user message contains it raises,
                         and its error quotes the message (an action bug that
                         would leak health text into a log)
    FAULT_PAUSE_MARKER   after an action whose latest user message contains it
    FAULT_PAUSE_FLAG     has run (and saved its lead), create this file and
    FAULT_PAUSE_SECONDS  wait before answering the Rasa server (once: only
                         while the file does not exist), so a test can kill
                         the Rasa server between the lead-store write and the
                         conversation-store write
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rasa_sdk.executor import ActionExecutor  # noqa: E402 - after the project root is on the path

from actions import server  # noqa: E402

_run = ActionExecutor.run


def _latest_text(action_call: dict) -> str:
    return str(((action_call.get("tracker") or {}).get("latest_message") or {}).get("text") or "")


async def run_with_faults(self: ActionExecutor, action_call: dict):
    text = _latest_text(action_call)
    raise_marker = os.environ.get("FAULT_RAISE_MARKER")
    if raise_marker and raise_marker in text:
        raise RuntimeError(f"the action could not read {text!r}")
    result = await _run(self, action_call)
    pause_marker, flag = os.environ.get("FAULT_PAUSE_MARKER"), os.environ.get("FAULT_PAUSE_FLAG")
    if pause_marker and flag and pause_marker in text and not Path(flag).exists():
        Path(flag).write_text(str(action_call.get("next_action")))
        await asyncio.sleep(float(os.environ.get("FAULT_PAUSE_SECONDS", "120")))
    return result


ActionExecutor.run = run_with_faults

if __name__ == "__main__":
    sys.exit(server.main())

"""Rasa's check of one action-server response, as Rasa 3.6 does it and as
rasa_extensions/action_validation.py does it (schema compiled once), in CPU
milliseconds per check. Run: .venv/bin/python -m scripts.benchmark.action_check

The starter bot runs no custom action, so it never pays this check; our bot
pays it once per turn (action_turn). This is why the patch stays.
"""

from __future__ import annotations

import time
import warnings

RESPONSE = {
    "events": [{"event": "slot", "name": "screening_state", "value": {"ref": "ab12", "rev": 3}}],
    "responses": [
        {
            "text": "Question 4 of about 14: has either of these happened?",
            "buttons": [{"title": "None", "payload": "none"}],
        }
    ]
    * 3,
}


def cpu_ms_per_check(check, action, rounds: int) -> float:
    check(action, RESPONSE)  # warm: the patched check compiles its validator here
    started = time.process_time()
    for _ in range(rounds):
        check(action, RESPONSE)
    return (time.process_time() - started) / rounds * 1000


def main() -> None:
    warnings.filterwarnings("ignore")
    from rasa.core.actions.action import RemoteAction

    from rasa_extensions import action_validation

    action = RemoteAction("action_turn", None)
    own = cpu_ms_per_check(action_validation._original, action, 200)
    compiled = cpu_ms_per_check(action_validation.validate_action_result, action, 2000)
    print(f"action response check, CPU per check: Rasa 3.6's own {own:.2f} ms, compiled once {compiled:.2f} ms")
    print(f"saved per turn (one custom action a turn): {own - compiled:.2f} ms")


if __name__ == "__main__":
    main()

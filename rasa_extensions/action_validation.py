"""Check action-server responses once-compiled, not schema-and-all every time.

Rasa 3.6's ``RemoteAction._validate_action_result`` calls
``jsonschema.validate(result, schema)`` after every custom action. That call
first validates the (large) events schema itself against the JSON-Schema
metaschema, then builds a validator, then checks the response. Our form calls
two custom actions per turn, so this re-checking was about 60 % of the Rasa
server's CPU under `make bench` (py-spy). Here the schema is checked and the
validator built once; each response is still validated in full, and an
invalid one raises the same ``ValidationError`` with the same message.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

logger = logging.getLogger(__name__)
_original = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _validator():
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on each call
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> bool:
    """Replace Rasa's method, only on the Rasa line it was written for."""
    if not rasa.__version__.startswith("3.6.") or RemoteAction._validate_action_result is not _original:
        logger.warning("action_validation: not installed (rasa %s)", rasa.__version__)
        return False
    RemoteAction._validate_action_result = validate_action_result
    return True

"""rasa_extensions/action_validation.py: the action-server response check is
compiled once but still as strict as Rasa's own (jsonschema.validate)."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from rasa_extensions import action_validation

GOOD = {
    "events": [{"event": "slot", "name": "role", "value": "patient"}],
    "responses": [{"text": "How old are you?", "buttons": []}],
}
BAD = [{"events": "not a list"}, {"events": [{"event": "slot", "timestamp": "noon"}]}, {"responses": "hello"}]


def test_installed_when_rasa_extensions_is_imported():
    import rasa_extensions  # noqa: F401 - importing installs it

    assert RemoteAction._validate_action_result is action_validation.validate_action_result


def test_a_valid_response_passes():
    assert RemoteAction("x", None)._validate_action_result(GOOD) is True


@pytest.mark.parametrize("response", BAD)
def test_an_invalid_response_fails_as_with_rasas_own_check(response):
    with pytest.raises(jsonschema.ValidationError) as ours:
        RemoteAction("x", None)._validate_action_result(response)
    with pytest.raises(jsonschema.ValidationError) as rasas:
        action_validation._original(RemoteAction("x", None), response)
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message

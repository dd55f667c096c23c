"""Small extensions loaded by the Rasa server itself (configured in endpoints.yml
and credentials.yml). Importing the package also speeds up two steps of Rasa's
own, with the same results: the check of action-server responses
(action_validation.py) and finding an event's class (event_types.py)."""

from rasa_extensions import action_validation, event_types

action_validation.install()
event_types.install()

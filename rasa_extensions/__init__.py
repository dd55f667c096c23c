"""Small extensions loaded by the Rasa server itself (configured in endpoints.yml
and credentials.yml). Importing the package also speeds up Rasa's check of
action-server responses (action_validation.py)."""

from rasa_extensions import action_validation

action_validation.install()

"""Small extensions loaded by the Rasa server itself (configured in endpoints.yml)."""

"""Rasa SDK action server: thin adapters over bot/ (run: rasa run actions)."""

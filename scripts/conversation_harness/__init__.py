"""A conversation harness: personas (tests/personas/*.yaml) talk to the assistant through
a transport (in-process bot.dialogue, or the real servers' REST channel), and the
result read back from the staff record is compared with what the registry text
says about each persona. ``scripts/converse.py`` (make converse) runs it."""

"""Rasa SDK action server: thin adapters over bot/ (run: rasa run actions).

The trial file and the spaCy pipeline are loaded when the server starts, so the
first person to answer does not wait for them.
"""

from bot.parsing.nlp import get_nlp
from bot.trial import get_trial

get_trial()
get_nlp()

"""Look up an event's class by its type name in a table, not by walking classes.

Rasa 3.6's ``Event.resolve_by_type`` walks every subclass of ``Event``
(recursively, building lists) for each event it reads back: every stored event
on every turn's tracker load, and every event an action returns. Under
`make bench` that walk was about 8 % of the Rasa server's CPU (py-spy). Here
the classes are indexed by type name once; a name the index does not hold (a
class defined later, an unknown or legacy name) goes to Rasa's own method, so
the answers and errors stay Rasa's.
"""

from __future__ import annotations

import logging

import rasa
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

logger = logging.getLogger(__name__)
_original = Event.resolve_by_type
_classes: dict[str, type[Event]] = {}


def _index() -> dict[str, type[Event]]:
    if not _classes:
        # first match wins, as in Rasa's walk
        for cls in all_subclasses(Event):
            _classes.setdefault(cls.type_name, cls)
    return _classes


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _index().get(type_name)
    return found if found is not None else _original(type_name, default)


def install() -> bool:
    """Replace Rasa's method, only on the Rasa line it was written for."""
    if not rasa.__version__.startswith("3.6.") or Event.__dict__["resolve_by_type"].__func__ is not _original:
        logger.warning("event_types: not installed (rasa %s)", rasa.__version__)
        return False
    Event.resolve_by_type = staticmethod(resolve_by_type)
    return True

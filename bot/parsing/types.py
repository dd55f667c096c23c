"""The one value type every parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNCLEAR = "unclear"


@dataclass(frozen=True)
class Parsed:
    """What a parser understood from free text.

    ``kind`` names the parser's result type ("yes_no", "age", "lab", ...) or
    ``UNCLEAR``. ``value`` is plain data (bool, int, float, str, dict, list) so
    it can be stored as JSON. ``span`` is the evidence: the exact substring of
    the input the value came from. ``confidence`` is 0..1; answers carrying a
    hedge ("I think so") get a lower confidence so scoring sends them to
    review. ``note`` says why a value is unclear or how it was derived
    (a unit conversion, an assumed unit).
    """

    kind: str
    value: Any = None
    span: str = ""
    confidence: float = 0.0
    note: str = ""
    start: int | None = None
    end: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def unclear(self) -> bool:
        return self.kind == UNCLEAR

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "value": self.value,
            "span": self.span,
            "confidence": self.confidence,
            "note": self.note,
        }


def unclear(note: str, span: str = "") -> Parsed:
    """An honest "I could not understand this", with the reason."""
    return Parsed(kind=UNCLEAR, value=None, span=span, confidence=0.0, note=note)

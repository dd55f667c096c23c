"""Verdicts and screening outcomes, exactly as ../shared/DESIGN.md defines them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PASS, FAIL, UNCERTAIN, PENDING, NOT_APPLICABLE, NOT_ASKED = (
    "pass",
    "fail",
    "uncertain",
    "pending",
    "not_applicable",
    "not_asked",
)
VERDICTS = (PASS, FAIL, UNCERTAIN, PENDING, NOT_APPLICABLE, NOT_ASKED)

LIKELY_ELIGIBLE, NEEDS_REVIEW, NOT_ELIGIBLE, INCOMPLETE, DECLINED = (
    "likely_eligible",
    "needs_review",
    "not_eligible",
    "incomplete",
    "declined",
)
OUTCOMES = (LIKELY_ELIGIBLE, NEEDS_REVIEW, NOT_ELIGIBLE, INCOMPLETE, DECLINED)


def compute_outcome(
    verdicts: Mapping[str, str] | Iterable[str], *, consented: bool = True, finished: bool = True
) -> str:
    """The screening outcome from its criterion verdicts.

    A ``fail`` wins even when the person stopped early: a clearly ineligible
    person must never look eligible. Without consent nothing else counts.
    """
    if not consented:
        return DECLINED
    values = list(verdicts.values()) if isinstance(verdicts, Mapping) else list(verdicts)
    unknown = [v for v in values if v not in VERDICTS]
    if unknown:
        raise ValueError(f"unknown verdict(s): {sorted(set(unknown))}")
    if FAIL in values:
        return NOT_ELIGIBLE
    if not finished:
        return INCOMPLETE
    if UNCERTAIN in values:
        return NEEDS_REVIEW
    return LIKELY_ELIGIBLE

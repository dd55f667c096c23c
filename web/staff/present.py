"""How the dashboard shows things: times in the site's time zone, "3 days
ago", callback states, the one-line "why" of a lead, criterion names.

Everything that reads as words comes from the language files (``Texts``);
stored values are described by :mod:`bot.describe`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from bot.describe import criterion_name, short_reason
from bot.outcome import DECLINED, INCOMPLETE, LIKELY_ELIGIBLE, NEEDS_REVIEW, NOT_ELIGIBLE
from bot.store.records import parse_ts
from web.staff.i18n import Texts
from web.staff.settings import site_timezone

OVERDUE, TODAY, LATER = "overdue", "today", "later"
SHORT_NAME = 70  # characters of a criterion name in a one-line summary


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return parse_ts(value, "time")
    except ValueError:
        return None


def local(value: Any) -> datetime | None:
    when = parse_time(value)
    return when.astimezone(site_timezone()) if when else None


def local_text(value: Any, seconds: bool = False) -> str:
    when = local(value)
    return when.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") if when else ""


def local_input_value(value: Any) -> str:
    """For an <input type="datetime-local">."""
    when = local(value)
    return when.strftime("%Y-%m-%dT%H:%M") if when else ""


def parse_local_input(text: str) -> datetime:
    """A datetime-local value ("2026-12-02T09:30"), in the site's time zone, as UTC."""
    raw = (text or "").strip()
    if len(raw) > 19:
        raise ValueError("too long")
    when = datetime.fromisoformat(raw)
    if when.tzinfo is not None:
        raise ValueError("no time zone expected")
    return when.replace(tzinfo=site_timezone()).astimezone(timezone.utc)


def day_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Today in the site's time zone, as UTC [start, end)."""
    here = (now or now_utc()).astimezone(site_timezone())
    start = here.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def callback_state(value: Any, now: datetime | None = None) -> str | None:
    when = parse_time(value)
    if when is None:
        return None
    now = now or now_utc()
    if when < now:
        return OVERDUE
    _, end = day_bounds(now)
    return TODAY if when < end else LATER


def ago(value: Any, t: Texts, now: datetime | None = None) -> str:
    """ "3 days ago", "in 2 hours" (callbacks), "just now"."""
    when = parse_time(value)
    if when is None:
        return ""
    seconds = ((now or now_utc()) - when).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return t.n(f"time.{'in_' if future else ''}{unit}", int(seconds // size))
    return t("time.now")


def phone_text(value: Any) -> str:
    """A stored phone number (E.164) as people read it: "+86 138 0013 8000"."""
    text = str(value or "")
    try:
        import phonenumbers

        number = phonenumbers.parse(text, None)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except Exception:  # noqa: BLE001 - not a number phonenumbers reads: show it as stored
        return text


def short_name(criterion_id: str, trial_id: str | None, language: str) -> str:
    name = criterion_name(criterion_id, trial_id, language)
    if len(name) <= SHORT_NAME:
        return name
    cut = name[:SHORT_NAME].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def why(row: dict, t: Texts) -> str:
    """One line: why this lead is where it is (the knock-out, what to check,
    the site checks, where the person stopped)."""
    lang, trial = t.language, row.get("trial_id")
    outcome = row.get("outcome")
    if outcome == NOT_ELIGIBLE and row.get("failed"):
        first = row["failed"][0]
        reason = short_reason(first, first.get("answer"), first.get("confidence"), lang)
        text = t("why.knocked_out", name=short_name(first["criterion"], trial, lang), reason=reason)
        more = len(row["failed"]) - 1
        return text + (" " + t.n("why.more", more) if more > 0 else "")
    if row.get("open_items"):
        items = row["open_items"]
        parts = [
            t(
                "why.item",
                name=short_name(i["criterion"], trial, lang),
                reason=short_reason(i, i.get("answer"), i.get("confidence"), lang),
            )
            for i in items[:2]
        ]
        text = t("why.to_check", items=t("why.join").join(parts))
        return text + (" " + t.n("why.more", len(items) - 2) if len(items) > 2 else "")
    if outcome == NEEDS_REVIEW:
        return t("why.review_decided")
    if outcome == LIKELY_ELIGIBLE:
        pending = row.get("pending") or []
        if not pending:
            return t("why.likely_no_checks")
        names = [short_name(p, trial, lang) for p in pending[:2]]
        return t.n("why.likely", len(pending), checks=t("why.join").join(names))
    if outcome == INCOMPLETE:
        stop = row.get("first_not_asked")
        if stop:
            return t.n("why.stopped_before", row.get("answered_count", 0), name=short_name(stop, trial, lang))
        return t.n("why.stopped", row.get("answered_count", 0))
    if outcome == DECLINED:
        return t("why.declined")
    return ""

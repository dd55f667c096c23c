"""Did an event happen, and when: "never had a heart attack", "a heart attack
five years ago", "no infections since the summer", "yes, chemo 10 days ago".

Negation comes from the shared spaCy pipeline (negspacy), times from
``timing.find_times``; each time is attached to the nearest event term in the
same sentence. ``terms`` restricts which lexicon event groups count
("cardiac_event", "bleeding", "thrombosis", "infection",
"anticancer_therapy", "radiotherapy", "surgery", "live_vaccine", ...).
An answer without event words falls back to ``parse_yes_no``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from bot.parsing.nlp import as_date, entries, guard, has_hedge, lexicon, lower, mentions, negated_before
from bot.parsing.timing import bounds, find_times
from bot.parsing.types import Parsed, unclear
from bot.parsing.yes_no import parse_yes_no
from bot.parsing.zh import alternatives as zh_alternatives


@functools.lru_cache(maxsize=1)
def _drug_event_groups() -> dict:
    """drug canonical name -> event groups its classes count for."""
    by_class = lexicon().get("drug_class_events", {}) or {}
    out = {}
    for name, spec in (lexicon().get("drugs") or {}).items():
        groups = {by_class[c] for c in spec.get("classes", []) if c in by_class}
        if groups:
            out[name] = groups
    return out


# An event still going on ("on IV micafungin, ongoing") happened today.
_ONGOING = re.compile(
    r"\b(?:ongoing|currently|at the moment|right now|still on|still in|at present|"
    r"still (?:getting|having|get|have|gets|has)|(?:i'?m|i am|am|is|are|he'?s|she'?s) (?:on|having|getting|receiving))\b"
)


@functools.lru_cache(maxsize=1)
def _not_counted() -> dict:
    """event group -> the groups it is named as not being (lexicon ``not_for``)."""
    return {group: set(spec.get("not_for") or ()) for group, spec in (lexicon().get("events") or {}).items()}


def _counter_example(detail: dict, wanted: set) -> bool:
    """A term the lexicon names as NOT one of the wanted groups (a flu shot is not a live vaccine)."""
    groups = set(detail["groups"])
    return bool(groups) and all(_not_counted().get(g, set()) & wanted for g in groups)


def _groups(m) -> tuple:
    """(groups that surely count, groups the term may count for)."""
    strong, weak = set(), set()
    for t in entries(m, "EVENT"):
        for g in t.groups:
            (weak if g.startswith("uncertain:") else strong).add(g.split(":")[-1])
    for t in entries(m, "DRUG"):
        strong |= _drug_event_groups().get(t.key, set())
    return strong, weak - strong


def _event_key(m) -> str:
    ev = entries(m, "EVENT")
    return ev[0].key if ev else m.key


def _attach_times(events: list, refs: list) -> dict:
    """Each time goes to the nearest event mention in its sentence."""
    attached: dict = {}
    for ref in refs:
        best, best_gap = None, None
        for i, m in enumerate(events):
            if not (m.sent_start <= ref.start < m.sent_end or len(events) == 1):
                continue
            gap = ref.start - m.end if ref.start >= m.end else m.start - ref.end
            if best_gap is None or gap < best_gap:
                best, best_gap = i, gap
        if best is not None:
            attached.setdefault(best, []).append(ref)
    return attached


def _most_recent(refs: list, today) -> object | None:
    past = [r for r in refs if r.days_ago(today) >= 0]
    if past:
        return min(past, key=lambda r: r.days_ago(today))
    return refs[0] if refs else None


@guard("event")
def parse_event(text: str, today=None, terms: Iterable[str] | None = None) -> Parsed:
    """Whether an event happened and how many days ago.

    value: {"answer": "yes"|"no"|"unknown", "days_ago": int|None,
            "term": str|None, "terms": [str, ...]}
    and, when known: "named" (the event in the person's words, "NSTEMI"),
    "approximate" (bool) and "days_ago_min"/"days_ago_max" (the bounds of an
    approximate time or a named period: "in May", "about a month ago"; None
    on an open side), "grade" (a graded finding: fecal occult blood "++" is 2).
    ``terms`` lists the event terms the answer is about (the ones that
    happened for "yes", the denied ones for "no"). For "no", ``days_ago`` is
    the period the denial covers when one is stated ("since the summer"),
    else None. Negative days_ago means a planned event (note "future").
    extra["events"] lists every event term found with its negation and time.
    """
    today = as_date(today)
    wanted = {terms} if isinstance(terms, str) else (set(terms) if terms else None)
    found = _event_mentions(text, wanted)
    refs = find_times(text, today)
    details = _event_details(text, found, refs, today)
    hedged = has_hedge(text, quantities=False)  # "about 6 weeks ago" is approximate, not doubtful
    yn = parse_yes_no(text, today)
    doubt = yn.value == "unknown" and not yn.unclear
    relevant = [d for d in details if d["relevant"]]
    pos = [d for d in relevant if not d["negated"]]
    neg = [d for d in relevant if d["negated"]]
    extra = {"events": [{k: v for k, v in d.items() if not k.startswith("_")} for d in details]}
    if pos:
        return _named_happened(text, pos, relevant, details, refs, yn, hedged, doubt, extra, today)
    if neg:
        return _named_denied(text, neg, hedged, doubt, extra, today)
    return _no_event_named(text, details, wanted, refs, yn, hedged, extra, today)


def _event_mentions(text: str, wanted: set | None) -> list:
    """Each event term in the text with how sure it is about the terms asked for."""
    found = []
    for m in mentions(text):
        strong, weak = _groups(m)
        if not strong and not weak:
            continue
        if wanted is None:
            relevance = "sure" if strong else "maybe"
        else:
            relevance = "sure" if strong & wanted else "maybe" if weak & wanted else None
        found.append((m, relevance, sorted(strong | weak)))
    return found


def _event_details(text: str, found: list, refs: list, today) -> list[dict]:
    """Each mention with its negation and its time."""
    # Times go to the events asked about first ("a clot in my arm from my PICC line
    # 5 weeks ago": the time is the clot's, not the line's).
    relevant_idx = [i for i, (m, rel, _) in enumerate(found) if rel is not None and not m.negated]
    if relevant_idx and len(relevant_idx) < len(found):
        sub = _attach_times([found[i][0] for i in relevant_idx], refs)
        attached = {relevant_idx[k]: v for k, v in sub.items()}
    else:
        attached = _attach_times([m for m, _, _ in found], refs)
    details = []
    for i, (m, rel, groups) in enumerate(found):
        ref = _most_recent(attached.get(i, []), today)
        details.append(
            {
                "term": _event_key(m),
                "groups": groups,
                "negated": m.negated,
                "relevant": rel is not None,
                "days_ago": ref.days_ago(today) if ref else None,
                "span": m.text,
                "_m": m,
                "_ref": ref,
                "_rel": rel,
            }
        )
    return details


def _named_happened(text, pos, relevant, details, refs, yn, hedged, doubt, extra, today) -> Parsed:
    """An answer that names an event that happened ("a heart attack in May")."""
    if pos and doubt and not any(d["_ref"] for d in pos):
        # "I don't know if I had chemo": a term inside a doubt is no answer.
        return _event(
            text,
            "unknown",
            None,
            pos[0]["term"],
            _unique(d["term"] for d in pos),
            pos[0]["_m"],
            None,
            0.8,
            ["does not know"],
            extra,
        )
    dated = [d for d in pos if d["_ref"] is not None and d["days_ago"] is not None]
    if not dated and len(relevant) == len(details) and refs and len(pos) == 1:
        # "chemo, yes. 10 days ago": one event, a time in another sentence.
        ref = _most_recent(refs, today)
        pos[0]["_ref"], pos[0]["days_ago"] = ref, ref.days_ago(today)
        dated = [pos[0]]
    past = [d for d in dated if d["days_ago"] >= 0]
    chosen = min(past, key=lambda d: d["days_ago"]) if past else (dated[0] if dated else pos[0])
    conf, notes = 0.9, []
    if all(d["_rel"] == "maybe" for d in pos):
        conf = 0.5
        notes.append("may not count: " + ", ".join(d["span"] for d in pos))
    if yn.value == "no" and not yn.unclear and (yn.start or 0) <= min(d["_m"].start for d in pos):
        # "No, but a heart attack in May" contradicts itself; "STEMI 2024, no events since" does not.
        conf = min(conf, 0.6)
        notes.append("said no but mentioned " + ", ".join(d["span"] for d in pos))
    if chosen["_ref"] is None and _ONGOING.search(lower(text)):
        chosen["days_ago"] = 0
        notes.append("ongoing")
    if hedged or doubt:
        conf = min(conf, 0.5 if doubt else 0.6)
        notes.append("hedged")
    ref = chosen["_ref"]
    if ref is not None:
        conf = min(conf, ref.confidence)
        if ref.days_ago(today) < 0:
            notes.append("future")
        if ref.note:
            notes.append(ref.note)
    return _event(
        text,
        "yes",
        chosen["days_ago"],
        chosen["term"],
        _unique(d["term"] for d in pos),
        chosen["_m"],
        ref,
        conf,
        notes,
        extra,
        today,
    )


def _named_denied(text, neg, hedged, doubt, extra, today) -> Parsed:
    """An answer that denies the events asked about ("no clots since the summer")."""
    refs_neg = [d["_ref"] for d in neg if d["_ref"] is not None]
    ref = refs_neg[0] if refs_neg else None
    conf, notes = 0.9, []
    if hedged or doubt:
        conf, notes = (0.5 if doubt else 0.6), ["hedged"]
    if ref is not None and ref.kind in ("since", "window"):
        notes.append("none " + ("since" if ref.kind == "since" else "within") + f" {ref.text}")
    return _event(
        text,
        "no",
        ref.days_ago(today) if ref else None,
        neg[0]["term"],
        _unique(d["term"] for d in neg),
        neg[0]["_m"],
        ref,
        conf,
        notes,
        extra,
    )


def _no_event_named(text, details, wanted, refs, yn, hedged, extra, today) -> Parsed:
    """No event asked about is named: other events, a plain yes/no or a time alone."""
    others = [d["term"] for d in details if not d["relevant"]]
    if others and wanted and all(_counter_example(d, wanted) for d in details if not d["relevant"]):
        # "a flu shot" asked about live vaccines: the lexicon names it as not one.
        return Parsed(
            kind="event",
            value={"answer": "no", "days_ago": None, "term": None, "terms": []},
            span=details[0]["span"],
            confidence=0.85,
            note=f"only {', '.join(others)}, which is not {', '.join(sorted(wanted))}",
            start=details[0]["_m"].start,
            end=details[0]["_m"].end,
            extra=extra,
        )
    if others and (yn.unclear or yn.note == "implicit yes"):
        # "I had a flu shot" asked about live vaccines: what they had is not
        # what was asked. Likely "no", but a person should look.
        return Parsed(
            kind="event",
            value={"answer": "no", "days_ago": None, "term": None, "terms": []},
            span=details[0]["span"],
            confidence=0.5,
            note=f"mentions only {', '.join(others)}, not {', '.join(sorted(wanted or []))}",
            start=details[0]["_m"].start,
            end=details[0]["_m"].end,
            extra=extra,
        )
    if not yn.unclear:
        ref = _most_recent(refs, today)
        days = ref.days_ago(today) if ref is not None and yn.value != "unknown" else None
        notes = [yn.note] if yn.note else []
        conf = yn.confidence
        if others:
            notes.append("also mentioned " + ", ".join(others))
            conf = min(conf, 0.6)
        if ref is not None and days is not None and days < 0:
            notes.append("future")
        value = {"answer": yn.value, "days_ago": days, "term": None, "terms": []}
        if days is not None:
            value.update(approximate=bool(ref.approximate), **bounds(ref, today))
        return Parsed(
            kind="event",
            value=value,
            span=yn.span,
            confidence=conf,
            note="; ".join(notes),
            start=yn.start,
            end=yn.end,
            extra=extra,
        )
    if refs and not others:
        ref = _most_recent(refs, today)
        low = lower(text)
        if negated_before(low, ref.start) or low.lstrip().startswith(("not ", "none ")):
            # "Not in the last 6 months": a denial covering that period.
            return Parsed(
                kind="event",
                value={"answer": "no", "days_ago": ref.days_ago(today), "term": None, "terms": []},
                span=text[: ref.end].strip(),
                confidence=0.6 if hedged else 0.85,
                note=f"none {ref.text}",
                start=text.index(text.strip()[:1]) if text.strip() else 0,
                end=ref.end,
                extra=extra,
            )
        notes = ["time given without yes/no; read as yes"]
        if ref.days_ago(today) < 0:
            notes.append("future")
        value = {"answer": "yes", "days_ago": ref.days_ago(today), "term": None, "terms": []}
        value.update(approximate=bool(ref.approximate), **bounds(ref, today))
        return Parsed(
            kind="event",
            value=value,
            span=ref.text,
            confidence=min(0.6 if hedged else 0.75, ref.confidence),
            note="; ".join(notes),
            start=ref.start,
            end=ref.end,
            extra=extra,
        )
    return unclear("no event, yes/no or time found")


def _unique(items) -> list:
    out = []
    for i in items:
        if i not in out:
            out.append(i)
    return out


@functools.cache
def _ongoing_words() -> tuple[re.Pattern, re.Pattern]:
    started = re.compile(
        r"\b(?:started|starting|began|begun|ongoing|still\s+on|still\s+having|currently|"
        r"am\s+on|i'?m\s+on|is\s+on|been\s+on|every\s+\w+\s+weeks?)\b|" + zh_alternatives("events", "ongoing"),
        re.I,
    )
    ended = re.compile(
        r"\b(?:stopped|finished|completed|ended|until|till|last\s+(?:dose|cycle|session|one)|done)\b|"
        + zh_alternatives("events", "ended"),
        re.I,
    )
    return started, ended


def _ongoing(text: str, ref) -> bool:
    """ "on chemo since September", "I started chemo in September" (and nothing says it
    stopped): the treatment may still be going on, so the time is when it began."""
    if ref.kind == "since" or re.search(r"\bsince\s*$", text[max(0, ref.start - 8) : ref.start], re.I):
        return True  # "since September", "since 2026-09-01" ("no events since" has no time after it)
    started, ended = _ongoing_words()
    return bool(started.search(text)) and not ended.search(text)


def _event(text, answer, days_ago, term, terms, m, ref, conf, notes, extra, today=None) -> Parsed:
    start, end = m.start, m.end
    if ref is not None:
        start, end = min(start, ref.start), max(end, ref.end)
    value = {"answer": answer, "days_ago": days_ago, "term": term, "terms": terms, "named": m.text}
    if ref is not None and today is not None and days_ago is not None:
        value["approximate"] = bool(ref.approximate)
        value.update(bounds(ref, today))
        if answer == "yes" and days_ago > 0 and _ongoing(text, ref):
            # from then until perhaps today: judged over the whole span, never as its start alone
            began = max(days_ago, value.get("days_ago_max") or 0)
            value.update(days_ago=0, approximate=True, days_ago_min=0, days_ago_max=began, ongoing=True)
            notes = [*notes, f"began {began} days ago and may still be going on"]
    return Parsed(
        kind="event",
        value=value,
        span=text[start:end],
        confidence=conf,
        note="; ".join(n for n in notes if n),
        start=start,
        end=end,
        extra=extra,
    )

"""Readers for questions whose answers are yes/no with readings of their own.

Each returns a ``Parsed(kind="yes_no", value="yes"|"no"|"unknown")`` like
``parse_yes_no``, so the trial's ``answer_map`` rules read them unchanged, but
understands what people write instead of a plain yes or no:

* ``parse_allergy(text, drug)``: "NKDA", "allergic to penicillin, not that
  one" (no), "hypersensitivity to lenvatinib" (yes). ``drug`` is the study
  drug's lexicon name (from the trial file: ``allergy:lenvatinib``).
* ``parse_side_effects(text, excepted, ask)``: side effects of earlier
  treatment, by CTCAE grade ("grade 1 fatigue, rest resolved", "all resolved
  to grade <= 1") and the registry's exceptions ("only alopecia", "just my
  hair falling out"). ``ask`` is "ongoing" (yes = a side effect above grade 1
  is still there) or "resolved" (yes = all settled); ``excepted`` lists the
  lexicon's ``toxicities`` keys that do not count (trial file:
  ``side_effects_resolved:alopecia``).
* ``parse_contraception``: a vasectomy, sterilisation, a named method, or
  "no partner / not applicable" (the question says to answer yes then).
* ``parse_measurable``: RECIST wording ("non-measurable", "bone-only
  disease", "target lesions", "not assessed").
* ``parse_planned``: surgery or radiotherapy planned ("palliative RT to
  L-spine planned", "they want to do radiotherapy to my hip").
* ``parse_willing``: willing and able to take part ("I can't travel to
  Zhengzhou", "patient declines").

Vocabulary lives in the lexicon (``toxicities``, ``question_words``).
"""

from __future__ import annotations

import functools
import re

from bot.parsing.events import parse_event
from bot.parsing.nlp import guard, has_hedge, lexicon, lower, negated_before, phrase_regex, words
from bot.parsing.types import Parsed
from bot.parsing.yes_no import parse_yes_no
from bot.parsing.zh import data as zh_data

CONF_READ = 0.9


def _answer(value: str, text: str, match: re.Match | None, confidence: float, note: str) -> Parsed:
    start, end = (match.start(), match.end()) if match else (0, len(text))
    if has_hedge(text, quantities=False):
        confidence, note = min(confidence, 0.6), "; ".join(filter(None, [note, "hedged"]))
    return Parsed("yes_no", value, text[start:end], confidence, note, start, end)


@functools.cache
def _phrases(*path: str) -> re.Pattern | None:
    return phrase_regex(words(*path))


# ------------------------------------------------------------------ allergy
_ALLERGY = re.compile(
    r"\b(?:allerg\w*|hypersensitiv\w*|anaphyla\w*|intoleran\w*)"
    + "".join("|" + re.escape(w) for w in zh_data()["allergy_words"])
)
_ALLERGEN_AFTER = re.compile(r"\b(?:allerg\w*|hypersensitiv\w*|intoleran\w*)\s+(?:to\s+|of\s+)?(?P<what>[a-z][\w-]+)")
_ALLERGEN_BEFORE = re.compile(r"\b(?P<what>[a-z][\w-]+)\s+(?:allergy|allergies|hypersensitivity)")
_NOT_THAT = re.compile(r"\bnot\s+(?:that\s+one|to\s+(?:that|it|this)|that\s+medicine|this\s+one)\b")
_PRONOUNS = {"it", "that", "this", "them", "one", "the", "a", "any", "drug", "drugs", "medicine", "medicines"}


@functools.cache
def _drug_names(drug: str) -> re.Pattern:
    spec = (lexicon().get("drugs") or {}).get(drug, {})
    return phrase_regex([drug, *spec.get("synonyms", [])])


@guard("allergy")
def parse_allergy(text: str, drug: str) -> Parsed:
    """An allergy to the study drug ``drug`` (its lexicon name)? yes / no / unknown."""
    low = lower(text)
    none = _phrases("question_words", "no_known_allergy")
    if none and (m := none.search(low)):
        return _answer("no", text, m, 0.95, "no known allergies")
    named = _drug_names(drug).search(low)
    allergy = _ALLERGY.search(low)
    if named and allergy and not negated_before(low, named.start()) and not _NOT_THAT.search(low):
        return _answer("yes", text, named, CONF_READ, "allergy to the study drug named")
    others = [
        m
        for rx in (_ALLERGEN_AFTER, _ALLERGEN_BEFORE)
        for m in rx.finditer(low)
        if m.group("what") not in _PRONOUNS and not _drug_names(drug).fullmatch(m.group("what"))
    ]
    if others and not named:
        said = parse_yes_no(text)
        if said.unclear or said.value != "yes" or _NOT_THAT.search(low):
            return _answer("no", text, others[0], 0.85, f"an allergy to {others[0].group('what')}, not the study drug")
    return parse_yes_no(text)


# ------------------------------------------------------------- side effects
_GRADE = re.compile(r"\b(?:ctcae\s*)?(?:grade|gr\.?|g)\s*(?P<g>[0-4])\b|\bg(?P<g2>[0-4])\b")
_AT_MOST_ONE = re.compile(
    r"(?:≤|<=|=<|<\s*2|less than 2|at most)\s*(?:grade\s*)?1?\b|\bgrade\s*(?:0-1|0\s*to\s*1|≤\s*1)"
)
_STILL = re.compile(r"\b(?:still|ongoing|persist\w*|remain\w*|not\s+(?:gone|resolved|better))\b")
_ALL_SETTLED = re.compile(
    r"\b(?:all\s+(?:\w+\s+)?(?:resolved|recovered|settled|gone)|(?:rest|everything\s+else|others?)\s+(?:has\s+|have\s+)?"
    r"(?:resolved|recovered|settled|gone)|fully\s+recovered|resolved|no\s+(?:residual|ongoing)\s+toxicit\w*)\b"
)


@functools.lru_cache(maxsize=1)
def _toxicity_table() -> tuple:
    table = {lower(str(p)): key for key, phrases in (lexicon().get("toxicities") or {}).items() for p in phrases}
    return table, phrase_regex(table)


def _toxicities(low: str) -> list:
    """(key, match, negated) for every side effect named."""
    table, rx = _toxicity_table()
    if rx is None:
        return []
    return [
        (table.get(re.sub(r"[\s-]+", " ", m.group(0)), table.get(m.group(0))), m, negated_before(low, m.start()))
        for m in rx.finditer(low)
    ]


@guard("side_effects")
def parse_side_effects(text: str, excepted: tuple = (), ask: str = "ongoing") -> Parsed:
    """Side effects of earlier treatment: are any above grade 1 still there
    (``ask="ongoing"``), or have all settled (``ask="resolved"``)? Toxicities in
    ``excepted`` (lexicon keys, e.g. alopecia) never count."""
    low = lower(text)
    named = [(key, m) for key, m, negated in _toxicities(low) if not negated and key is not None]
    counted = [(key, m) for key, m in named if key not in excepted]
    grades = [int(g.group("g") or g.group("g2")) for g in _GRADE.finditer(low)]
    ongoing, why, where = None, "", None
    if counted and grades:
        # Grades in the answer belong to the side effects that count unless only excepted ones carry them.
        worst = max(grades)
        ongoing, why, where = worst >= 2, f"grade {worst} {counted[0][0].replace('_', ' ')}", counted[0][1]
    elif _AT_MOST_ONE.search(low):
        ongoing, why, where = False, "all at grade 1 or less", _AT_MOST_ONE.search(low)
    elif named and not counted:
        ongoing, why, where = False, f"only {named[0][0].replace('_', ' ')}, which the registry excepts", named[0][1]
    elif grades and not named:
        ongoing, why = max(grades) >= 2, f"grade {max(grades)}"
    elif _ALL_SETTLED.search(low) and not counted:
        ongoing, why, where = False, "resolved", _ALL_SETTLED.search(low)
    elif counted and _STILL.search(low):
        ongoing, why, where = True, f"{counted[0][0].replace('_', ' ')} still there, grade not given", counted[0][1]
    if ongoing is not None:
        value = ("yes" if ongoing else "no") if ask == "ongoing" else ("no" if ongoing else "yes")
        return _answer(value, text, where, CONF_READ if grades or not ongoing else 0.8, why)
    said = parse_yes_no(text)
    if said.unclear and counted:
        # "my hands are still numb": a side effect named, no grade.
        value = "yes" if ask == "ongoing" else "no"
        return _answer(value, text, counted[0][1], 0.8, f"{counted[0][0].replace('_', ' ')} named, grade not given")
    return said


# ------------------------------------------------------------ other readings
@guard("contraception")
def parse_contraception(text: str) -> Parsed:
    """Willing to use contraception? A method, a sterilisation, or "it does not apply" is yes."""
    low = lower(text)
    refused = _phrases("question_words", "contraception_refused")
    if refused and (m := refused.search(low)):
        return _answer("no", text, m, CONF_READ, "refuses contraception")
    for group, note in (("contraception_methods", "method named"), ("does_not_apply", "does not apply")):
        rx = _phrases("question_words", group)
        m = rx.search(low) if rx else None
        if m and not negated_before(low, m.start()):
            return _answer("yes", text, m, CONF_READ, note)
    return parse_yes_no(text)


@guard("measurable")
def parse_measurable(text: str) -> Parsed:
    """Measurable disease per RECIST: yes / no / unknown (not assessed yet)."""
    low = lower(text)
    for group, value in (("not_assessed", "unknown"), ("not_measurable", "no"), ("measurable", "yes")):
        rx = _phrases("question_words", group)
        m = rx.search(low) if rx else None
        if m:
            if value == "yes" and negated_before(low, m.start()):
                return _answer("no", text, m, CONF_READ, "measurable disease denied")
            return _answer(value, text, m, CONF_READ if value != "unknown" else 0.9, f"{group.replace('_', ' ')}")
    return parse_yes_no(text)


_TENTATIVE = re.compile(
    r"\b(?:possible|possibly|might|may|maybe|considering|consider|to be discussed|discuss|mdt|tbd)\b"
)


@guard("planned")
def parse_planned(text: str) -> Parsed:
    """Is surgery or radiotherapy planned? A named plan is yes; a tentative one is hedged."""
    said = parse_yes_no(text)
    if not said.unclear and said.value == "no" and said.confidence >= 0.9 and not text[: said.start or 0].strip():
        # "no, the doctors said surgery isn't an option": the answer opens with its no.
        return said
    event = parse_event(text, None, ["surgery", "radiotherapy"])
    if not event.unclear and event.value.get("term"):
        value = event.value["answer"]
        confidence = event.confidence
        low = lower(text)
        if value == "yes" and _TENTATIVE.search(low):
            confidence = min(confidence, 0.5)
        return Parsed("yes_no", value, event.span, confidence, event.note, event.start, event.end)
    return parse_yes_no(text)


@guard("willing")
def parse_willing(text: str) -> Parsed:
    """Willing and able to consent and attend? "I can't travel there", "declines" are no."""
    low = lower(text)
    cannot = _phrases("question_words", "not_able")
    if cannot and (m := cannot.search(low)):
        said = parse_yes_no(text)
        if said.unclear or said.value != "yes" or said.start is None or said.start > m.start():
            return _answer("no", text, m, 0.85, "not able or not willing")
    return parse_yes_no(text)

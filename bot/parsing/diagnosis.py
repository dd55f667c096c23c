"""Diagnosis: sarcoma subtype and site, extent (metastatic / unresectable /
locally advanced / resectable), liver metastases, and other cancers.

* ``parse_diagnosis``: free text from a physician or patient
  ("osteosarcoma with lung mets", "UPS of the thigh, inoperable").
* ``parse_diagnosis_answer``: the patient's answer to the combined question
  "Has a doctor told you that you have a bone or soft-tissue sarcoma that has
  spread or cannot be removed by surgery?" - a plain yes/no first.
* ``parse_other_malignancy``: "any other cancer in the last 3 years?", with
  the registry's exceptions (treated basal/squamous cell skin cancer,
  carcinoma in situ of the cervix).

Subtype, cancer and extent vocabulary is in the lexicon; negation of terms
comes from the shared spaCy pipeline.
"""

from __future__ import annotations

import functools
import re

from bot.parsing.nlp import as_date, entries, guard, has_hedge, lexicon, lower, mentions, negated_before, phrase_regex
from bot.parsing.timing import bounds, find_times
from bot.parsing.types import Parsed, unclear
from bot.parsing.yes_no import parse_yes_no
from bot.parsing.zh import alternatives as zh_alternatives

EXTENT_ORDER = ("metastatic", "unresectable", "locally_advanced", "resectable")
# Reported as "no_evidence_of_disease" ("cancer free", "NED", "it was removed"): nothing left to treat.
_EXTENT_RANK = {name: rank for rank, name in enumerate((*EXTENT_ORDER, "no_evidence_of_disease"))}
# Any word ending in "sarcoma" is a sarcoma, except a carcinosarcoma.
_ANY_SARCOMA = re.compile(r"\b(?!carcino)(\w{3,})sarcomas?\b")


def _opens_answer(text: str, said) -> bool:
    """Does the yes/no open the answer ("yes, osteosarcoma", "no - it's breast cancer")?"""
    return said.start is not None and not re.search(r"\w", text[: said.start].replace("well", ""))


_NO_DISEASE = re.compile(
    r"\b(?:cancer[- ]free|tumou?r[- ]free|disease[- ]free|no\s+evidence\s+of\s+(?:disease|recurrence)(?!\s+(?:progression|in|at))|"
    r"(?-i:NED)|in\s+(?:complete\s+)?remission|all\s+clear|no\s+(?:active|residual)\s+disease|no\s+sign\s+of\s+(?:it|cancer))\b",
    re.I,
)
_REMOVED = re.compile(
    r"\b(?:was|were|has\s+been|have\s+been|got|been)\s+(?:fully\s+|completely\s+|all\s+|successfully\s+)?"
    r"(?:removed|cut\s+out|taken\s+out|excised|resected)\b"
)
_BENIGN = re.compile(
    r"\b(?:benign|not\s+(?:a\s+)?(?:cancer|malignant|cancerous)|non[- ]?cancerous|not\s+a\s+sarcoma)\b|"
    + zh_alternatives("diagnosis", "benign")
)
_SITE_WORDS = [
    (re.compile(r"soft[- ]tissue|" + zh_alternatives("diagnosis", "soft_tissue")), "soft_tissue"),
    (re.compile(r"\bbones?\b|" + zh_alternatives("diagnosis", "bone")), "bone"),
]


@functools.lru_cache(maxsize=1)
def _patterns():
    lex = lexicon()
    extents = {k: [re.compile(p) for p in v] for k, v in lex.get("extent_patterns", {}).items()}
    liver = {k: [re.compile(p) for p in v] for k, v in lex.get("liver_mets", {}).items()}
    return extents, liver


def _subtypes() -> dict:
    return lexicon().get("sarcoma_subtypes", {})


def _empty() -> dict:
    return {
        "sarcoma": None,
        "subtype": None,
        "site": None,
        "extent": None,
        "liver_mets": None,
        "other_cancer": None,
        "answer": None,
    }


def _extents(low: str) -> dict:
    """extent -> (start, end) of its first non-negated match."""
    extents, _ = _patterns()
    found: dict = {}
    negated: dict = {}
    for name in EXTENT_ORDER:
        for rx in extents.get(name, []):
            for m in rx.finditer(low):
                # "can't be removed" is itself an extent, not a negated one.
                if name != "unresectable" and negated_before(low, m.start()):
                    negated.setdefault(name, (m.start(), m.end()))
                    continue
                if name == "resectable" and any(s <= m.start() < e for s, e in found.values()):
                    continue
                found.setdefault(name, (m.start(), m.end()))
    return found, negated


def _liver(low: str):
    _, liver = _patterns()
    for rx in liver.get("no", []):
        m = rx.search(low)
        if m:
            return False, m
    for rx in liver.get("yes", []):
        for m in rx.finditer(low):
            if negated_before(low, m.start()):
                return False, m
            return True, m
    return None, None


@guard("diagnosis")
def parse_diagnosis(text: str, today=None) -> Parsed:
    """Diagnosis from free text.

    value: {"sarcoma": bool|None, "subtype": str|None (lexicon key, e.g.
    "osteosarcoma"), "site": "bone"|"soft_tissue"|None, "extent":
    "metastatic"|"locally_advanced"|"unresectable"|"resectable"|
    "no_evidence_of_disease"|None,
    "liver_mets": bool|None, "other_cancer": str|None (lexicon key, e.g.
    "breast_cancer"), "answer": None}. extra["extents"] lists every extent
    found, extra["negated_extents"] the denied ones ("hasn't spread").
    """
    low = lower(text)
    value = _empty()
    notes, conf = [], 0.95
    ms = mentions(text)
    sarc = [m for m in ms if entries(m, "SARCOMA")]
    pos = [m for m in sarc if not m.negated]
    specific = [m for m in pos if not _subtypes().get(entries(m, "SARCOMA")[0].key, {}).get("generic")]
    taken = [(m.start, m.end) for m in ms]
    extra_subtype = [
        m
        for m in _ANY_SARCOMA.finditer(low)
        if not any(s <= m.start() < e for s, e in taken) and not negated_before(low, m.start())
    ]
    cancers = [m for m in ms if (entries(m, "CANCER") or entries(m, "EXCEPTION")) and not m.negated]
    named_cancers = [m for m in cancers if m.key != "cancer_unspecified"]
    vague = [m for m in ms if entries(m, "BONE_VAGUE") and not m.negated]
    span = None

    if specific:
        key = entries(specific[0], "SARCOMA")[0].key
        value.update(sarcoma=True, subtype=key, site=_subtypes()[key].get("site"))
        span = specific[0]
        if len({entries(m, "SARCOMA")[0].key for m in specific}) > 1:
            conf, notes = 0.7, ["several subtypes named"]
    elif pos:
        key = entries(pos[0], "SARCOMA")[0].key
        value.update(sarcoma=True, site=_subtypes()[key].get("site"))
        conf, span = 0.9, pos[0]
    elif extra_subtype:
        m = extra_subtype[0]
        value.update(sarcoma=True, subtype=m.group(0).rstrip("s"))
        conf, notes = 0.8, ["subtype not in the lexicon"]
        span = m
    elif vague and not named_cancers:
        value.update(sarcoma=True, site="bone")
        conf, notes, span = 0.5, ["'bone cancer' may be a bone sarcoma or bone metastases"], vague[0]
    elif sarc:
        value["sarcoma"] = False
        conf, span, notes = 0.85, sarc[0], ["sarcoma denied"]
    if named_cancers:
        value["other_cancer"] = named_cancers[0].key
        if value["sarcoma"] is None:
            value["sarcoma"] = False
            conf = 0.85
            span = span or named_cancers[0]
        else:
            notes.append("another cancer also named")
    if value["site"] is None and value["sarcoma"]:
        for rx, site in _SITE_WORDS:
            if rx.search(low):
                value["site"] = site
                break

    found, negated = _extents(low)
    for name in EXTENT_ORDER:
        if name in found:
            value["extent"] = name
            break
    no_disease = _NO_DISEASE.search(text)
    if no_disease or (_REMOVED.search(low) and value["extent"] in (None, "resectable")):
        # "cancer free", "NED", "it was removed": no disease left to treat now.
        value["extent"] = "no_evidence_of_disease"
        found.setdefault("no_evidence_of_disease", (no_disease or _REMOVED.search(low)).span())
    liver, liver_m = _liver(low)
    value["liver_mets"] = liver
    if liver:
        value["extent"] = "metastatic"
    benign = _BENIGN.search(low)
    if benign and value["sarcoma"] is not True and not named_cancers:
        # "they said it's benign": no cancer at all, so not the trial's.
        value["sarcoma"] = False
        notes.append("benign: not a cancer")
        conf = 0.85
        span = span or None
    if value["sarcoma"] is None and value["extent"] is None and liver is None:
        return unclear("no diagnosis found")
    if value["sarcoma"] is None and value["extent"] != "no_evidence_of_disease":
        conf, notes = 0.6, notes + ["sarcoma not named"]
    if has_hedge(text):
        conf, notes = min(conf, 0.6), notes + ["hedged"]
    if "resectable" in found and value["extent"] != "resectable":
        conf, notes = min(conf, 0.7), notes + ["also says it can be removed"]
    s, e = _span_of(span, found, liver_m, len(text))
    extra = {
        "extents": sorted(found, key=_EXTENT_RANK.get),
        "negated_extents": sorted(negated, key=_EXTENT_RANK.get),
    }
    return Parsed(
        kind="diagnosis",
        value=value,
        span=text[s:e],
        confidence=conf,
        note="; ".join(notes),
        start=s,
        end=e,
        extra=extra,
    )


def _span_of(span, found: dict, liver_m, n: int) -> tuple:
    points = []
    if span is not None:
        points.append(
            (span.start, span.end) if hasattr(span, "end") and not callable(span.end) else (span.start(), span.end())
        )
    points += list(found.values())
    if liver_m is not None:
        points.append((liver_m.start(), liver_m.end()))
    if not points:
        return 0, n
    return min(p[0] for p in points), max(p[1] for p in points)


@guard("diagnosis")
def parse_diagnosis_answer(text: str, today=None) -> Parsed:
    """Answer to "has a doctor told you that you have a bone or soft-tissue
    sarcoma that has spread or cannot be removed by surgery?".

    Same value shape as ``parse_diagnosis`` with "answer" set to the
    patient's yes/no/unknown. A plain "yes" gives sarcoma True and extent
    "confirmed_by_patient" (the question bundles both); a plain "no" gives
    sarcoma None (no sarcoma, or one that can be removed) and extent
    "denied_by_patient". Details in the answer ("yes, osteosarcoma with lung
    mets") refine the value.
    """
    yn = parse_yes_no(text)
    detail = parse_diagnosis(text)
    answer = None if yn.unclear else yn.value
    if answer is not None and not detail.unclear and not _opens_answer(text, yn):
        # "LMS, no evidence of disease progression": a "no" inside a description is not
        # the answer to the question; only a yes/no that opens the answer is.
        answer = None
    if not detail.unclear:
        value = dict(detail.value)
        value["answer"] = answer
        conf, notes = detail.confidence, [n for n in detail.note.split("; ") if n] if detail.note else []
        explicit_yes = answer == "yes" and yn.confidence >= 0.9 and yn.note != "implicit yes"
        advanced = value["extent"] in ("metastatic", "unresectable", "locally_advanced")
        if explicit_yes and advanced and value["sarcoma"] is None and "sarcoma not named" in notes:
            # "yes, spread to the lungs": the yes confirms the sarcoma the question named.
            value["sarcoma"] = True
            notes.remove("sarcoma not named")
            if not notes:  # that cap was the only one: the answer is as clear as a plain yes
                conf = max(conf, 0.85)
        if value["extent"] is None and value["sarcoma"] is not False:
            if answer == "yes":
                value["extent"] = "confirmed_by_patient"
                value["sarcoma"] = True
            elif answer == "no":
                value["extent"] = "denied_by_patient"
        if answer == "yes" and value["extent"] == "resectable":
            conf, notes = min(conf, 0.5), notes + ["said yes but also that it can be removed"]
        if answer == "no" and value["extent"] in ("metastatic", "unresectable"):
            conf, notes = min(conf, 0.5), notes + ["said no but described advanced disease"]
        if answer is not None:
            conf = min(conf, max(yn.confidence, 0.5))
        return Parsed(
            kind="diagnosis",
            value=value,
            span=detail.span,
            confidence=conf,
            note="; ".join(notes),
            start=detail.start,
            end=detail.end,
            extra=detail.extra,
        )
    if yn.unclear:
        return unclear(yn.note)
    value = _empty()
    value["answer"] = yn.value
    if yn.value == "yes":
        value.update(sarcoma=True, extent="confirmed_by_patient")
    elif yn.value == "no":
        value.update(extent="denied_by_patient")
    return Parsed(
        kind="diagnosis", value=value, span=yn.span, confidence=yn.confidence, note=yn.note, start=yn.start, end=yn.end
    )


# ------------------------------------------------------- other malignancy
@functools.lru_cache(maxsize=1)
def _treated_rx():
    return phrase_regex(lexicon().get("treated_words", []))


_SKIN = re.compile(r"\bskin\b|" + zh_alternatives("diagnosis", "skin"))


@functools.lru_cache(maxsize=1)
def _non_skin_rx():
    return phrase_regex(lexicon().get("non_skin_sites", [])) or re.compile(r"(?!x)x")


@guard("malignancy")
def parse_other_malignancy(text: str, today=None) -> Parsed:
    """Any other cancer (the sarcoma does not count).

    value: {"answer": "yes"|"no"|"unknown", "cancer": str|None (lexicon key),
    "exception": bool, "days_ago": int|None} and, for an approximate date
    ("2023", "about 3 years ago"), "approximate" and "days_ago_min"/"days_ago_max". exception is True when every
    named cancer is one the registry excepts (basal/squamous cell skin
    cancer, cervical carcinoma in situ); confidence drops when treatment is
    not stated, because the exception needs it "adequately treated".
    """
    today = as_date(today)
    low = lower(text)
    ms = mentions(text)
    cancers = [m for m in ms if entries(m, "CANCER") or entries(m, "EXCEPTION")]
    pos = [m for m in cancers if not m.negated]
    neg = [m for m in cancers if m.negated]
    sarcoma_only = [m for m in ms if entries(m, "SARCOMA") or entries(m, "BONE_VAGUE")]
    refs = find_times(text, today)
    hedged = has_hedge(text)
    yn = parse_yes_no(text, today)

    def when(m) -> dict:
        """days_ago of the time nearest the cancer, with its bounds when approximate ("2023")."""
        if not refs:
            return {"days_ago": None}
        near = min(refs, key=lambda r: abs(r.start - m.end) if r.start >= m.end else abs(m.start - r.end))
        return {"days_ago": near.days_ago(today), "approximate": bool(near.approximate), **bounds(near, today)}

    if pos:
        named = [m for m in pos if m.key != "cancer_unspecified"] or pos
        chosen = named[0]
        notes, conf = [], 0.9
        exception_flags = []
        for m in named:
            if entries(m, "EXCEPTION"):
                exception_flags.append(True)
            elif m.key == "squamous_cell_carcinoma_unspecified" and _SKIN.search(low):
                exception_flags.append(True)
            else:
                exception_flags.append(False)
                sited = m.key == "squamous_cell_carcinoma_unspecified" and _non_skin_rx().search(low)
                if m.key in ("skin_cancer_unspecified", "squamous_cell_carcinoma_unspecified") and not sited:
                    conf = min(conf, 0.5)
                    notes.append("type/site not stated (basal or squamous cell skin cancer is an exception)")
        exception = all(exception_flags)
        if exception and not _treated_rx().search(low):
            conf = min(conf, 0.6)
            notes.append("treatment not stated (exception needs adequate treatment)")
        if chosen.key == "cancer_unspecified":
            conf, notes = min(conf, 0.7), notes + ["type not stated"]
        if hedged:
            conf, notes = min(conf, 0.6), notes + ["hedged"]
        cancer = None if chosen.key == "cancer_unspecified" else chosen.key
        return Parsed(
            kind="malignancy",
            value={"answer": "yes", "cancer": cancer, "exception": exception, **when(chosen)},
            span=chosen.text,
            confidence=conf,
            note="; ".join(notes),
            start=chosen.start,
            end=chosen.end,
            extra={"cancers": [m.key for m in named]},
        )
    if neg or (sarcoma_only and yn.value != "yes"):
        m = (neg or sarcoma_only)[0]
        note = "only the sarcoma" if not neg else ""
        conf = 0.6 if hedged else (0.9 if neg else 0.8)
        return Parsed(
            kind="malignancy",
            value={"answer": "no", "cancer": None, "exception": False, "days_ago": None},
            span=m.text,
            confidence=conf,
            note=note,
            start=m.start,
            end=m.end,
        )
    if not yn.unclear:
        ref = refs[0] if refs else None
        days = ref.days_ago(today) if ref is not None and yn.value == "yes" else None
        timing = {"approximate": bool(ref.approximate), **bounds(ref, today)} if days is not None else {}
        return Parsed(
            kind="malignancy",
            value={"answer": yn.value, "cancer": None, "exception": False, "days_ago": days, **timing},
            span=yn.span,
            confidence=yn.confidence,
            note=yn.note,
            start=yn.start,
            end=yn.end,
        )
    return unclear("no cancer, yes/no or time found")

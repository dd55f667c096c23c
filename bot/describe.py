"""Stored answers as a person reads them, for study staff.

``describe(value)`` turns a stored fact value (the shapes of the parsers'
``Parsed.value``, see the docstrings in ``bot/parsing/``) into plain text:

    {"analyte": "creatinine", "value": 79.56, "unit": "µmol/L", "original": "0.9 mg/dL", ...}
        -> "creatinine 0.9 mg/dL (79.6 µmol/L)"
    {"answer": "yes", "drugs": [{"name": "aspirin", "daily_dose_mg": 100.0, ...}]}
        -> "aspirin 100 mg/day"
    {"answer": "yes", "days_ago": 61, "term": "myocardial_infarction", ...}
        -> "heart attack, 61 days ago (about 2 months)"

A criterion's stored value is one fact's value, or ``{fact: value}`` when
several questions fed it; both are handled. It never raises: a shape it does
not know (parsers change) gives the verbatim evidence (the person's answer)
when there is one, never JSON.

Also here, because the dashboard, the printed summary and the export all
need them: the trial file of a record (:func:`trial_for`), a criterion's
readable name and registry wording, and a review reason worded honestly
(:func:`plain_reason`).

Words come from ``bot/data/describe/<language>.yaml`` (``en`` is the
fallback for every missing key); analyte names from ``bot/data/units.yaml``
and term names from ``bot/data/lexicon.yaml`` when the words file has none.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.reasons import entry_text

logger = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
WORDS_DIR = DATA / "describe"
DEFAULT_LANGUAGE = "en"
MAX_CHARS = 400  # a description is a line, not a page
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})?$")
_CJK = re.compile(r"[\u3400-\u9fff]")


# --------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------
def _merge(base: dict, over: Mapping) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@lru_cache(maxsize=8)
def words(language: str = DEFAULT_LANGUAGE) -> dict:
    """The words file of a language over the English one."""
    base = _load_yaml(WORDS_DIR / f"{DEFAULT_LANGUAGE}.yaml")
    if language != DEFAULT_LANGUAGE and _LANGUAGE.match(language or ""):
        base = _merge(base, _load_yaml(WORDS_DIR / f"{language}.yaml"))
    return base


def _load_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _w(language: str, path: str, default: str = "", **values: Any) -> str:
    node: Any = words(language)
    for key in path.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    text = node if isinstance(node, str) else default
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text


@lru_cache(maxsize=1)
def _analyte_labels() -> dict:
    analytes = _load_yaml(DATA / "units.yaml").get("analytes") or {}
    return {k: v.get("label") for k, v in analytes.items() if isinstance(v, Mapping) and v.get("label")}


@lru_cache(maxsize=1)
def _lexicon_names() -> dict:
    """Every lexicon key that names a term -> its spellings (first found wins)."""
    found: dict = {}

    def walk(node: Any) -> None:
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            spellings = None
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                spellings = value
            elif isinstance(value, Mapping) and isinstance(value.get("synonyms"), list):
                spellings = [v for v in value["synonyms"] if isinstance(v, str)]
            if spellings and isinstance(key, str):
                found.setdefault(key, spellings)
            walk(value)

    walk(_load_yaml(DATA / "lexicon.yaml"))
    return found


def term_name(key: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """A lexicon key ("myocardial_infarction") as a name ("heart attack")."""
    if key is None or isinstance(key, Mapping):
        return ""
    if isinstance(key, (list, tuple)):  # several terms (or an odd stored value): never their repr
        return ", ".join(name for name in (term_name(k, language) for k in key) if name)
    key = str(key)
    named = _w(language, f"terms.{key}") or _w(language, f"facts.{key}")
    if named:
        return named
    spellings = _lexicon_names().get(key) or []
    wanted_cjk = language.startswith("zh")
    for spelling in spellings:
        if bool(_CJK.search(spelling)) == wanted_cjk:
            return spelling
    return key.replace("_", " ")


def fact_name(fact: str, language: str = DEFAULT_LANGUAGE, trial_id: str | None = None) -> str:
    """A fact's name: the trial file's ``fact_labels`` first (the trial's own
    wording), then the generic words, then the analyte label, then the key."""
    trial = trial_for(trial_id)
    label = trial.fact_labels.get(fact) if trial is not None else None
    if label:
        return _in_language(label, language)
    return _w(language, f"facts.{fact}") or _analyte_labels().get(fact) or str(fact).replace("_", " ")


def number(value: Any) -> str:
    """A number as people write it: 3 significant figures at most after the point."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    size = abs(value)
    places = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 0.1 else 3
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------
def describe(
    value: Any,
    *,
    fact: str | None = None,
    evidence: str | None = None,
    language: str = "en",
    trial_id: str | None = None,
) -> str:
    """The text a person reads for a stored value; the evidence (the verbatim
    answer) for a shape not known; never raises, never JSON."""
    language = language if _LANGUAGE.match(language or "") else DEFAULT_LANGUAGE
    try:
        text = _describe(value, fact, language, trial_id)
    except Exception:  # noqa: BLE001 - a new parser shape must never break a page; fall back to the evidence
        logger.debug("describe: unknown shape for %s", fact)
        text = None
    if not text:
        text = " ".join(str(evidence).split()) if evidence else ""
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def describe_entry(
    entry: Mapping | None, criterion: str | None = None, language: str = "en", trial_id: str | None = None
) -> str:
    """A record's criterion entry ({"value", "answer", ...}) as text; the
    criterion id names the fact when one question answered it ("age"), the
    record's trial names the facts of a criterion several questions fed."""
    if not isinstance(entry, Mapping):
        return ""
    value = entry.get("value")
    if value is None:
        return ""
    return describe(value, fact=criterion, evidence=entry.get("answer"), language=language, trial_id=trial_id)


def _describe(value: Any, fact: str | None, lang: str, trial_id: str | None = None) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _w(lang, "answers.yes" if value else "answers.no")
    if isinstance(value, str):
        return _answer(value, lang)
    if isinstance(value, (int, float)):
        unit = _w(lang, f"units.{fact}") if fact else ""
        return f"{number(value)} {unit}".strip()
    if isinstance(value, (list, tuple)):
        parts = [_describe(v, fact, lang, trial_id) for v in value]
        if any(p is None for p in parts):
            return None
        return _w(lang, "join_list", ", ").join(p for p in parts if p)
    if not isinstance(value, Mapping):
        return None
    for test, describer in _SHAPES:
        if test(value):
            return describer(value, lang)
    return _facts(value, lang, trial_id)


def _answer(text: str, lang: str) -> str:
    key = text.strip().lower()
    known = _w(lang, f"answers.{key}") if re.fullmatch(r"[a-z_]+", key) else ""
    return known or text


def _yes_no(value: Mapping, lang: str) -> str:
    answer = value.get("answer")
    return _answer(answer, lang) if isinstance(answer, str) else ""


def _days(days: Any, lang: str, approximate: bool = False) -> str:
    if isinstance(days, bool) or not isinstance(days, (int, float)):
        return ""
    n = int(round(days))
    if n == 0:
        text = _w(lang, "when.today", "today")
    elif n == 1:
        text = _w(lang, "when.day_ago")
    elif n > 1:
        text = _w(lang, "when.days_ago", n=n)
    elif n == -1:
        text = _w(lang, "when.in_day")
    else:
        text = _w(lang, "when.in_days", n=-n)
    if n >= 730:
        text = _w(lang, "when.years", when=text, n=number(round(n / 365.25, 1)))
    elif n >= 60:
        text = _w(lang, "when.months", when=text, n=round(n / 30.44))
    if approximate:
        text = _w(lang, "when.about", when=text)
    return text


def _is_lab(v: Mapping) -> bool:
    return "analyte" in v


def _lab(v: Mapping, lang: str) -> str:
    analyte = str(v.get("analyte") or "")
    name = _w(lang, f"facts.{analyte}") or _analyte_labels().get(analyte) or analyte.replace("_", " ")
    value, unit, original = v.get("value"), v.get("unit") or "", v.get("original")
    comparator = v.get("comparator") or ""
    extras = []
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        value = None  # a shape nobody wrote: never show it raw
    if value is not None:
        converted = f"{comparator}{number(value)} {unit}".strip()
        if original and str(original).strip():
            shown = str(original).strip()
            if _normalise(shown) != _normalise(converted) and unit and unit not in shown:
                if re.search(r"[A-Za-zµμ%/]", shown):  # given in another unit: show both
                    extras.append(converted)
                else:  # a bare number: the unit it was read in
                    shown = f"{shown} {unit}"
        else:
            shown = converted
        text = _w(lang, "lab.value", name=name, value=shown)
    elif v.get("x_uln") is not None:
        text = _w(lang, "lab.only_x_uln", name=name, x=f"{comparator}{number(v['x_uln'])}")
    elif v.get("status"):
        text = _w(lang, "lab.status", name=name, status=_answer(str(v["status"]), lang))
    elif original:
        text = _w(lang, "lab.value", name=name, value=str(original).strip())
    else:
        return ""
    if v.get("uln") is not None:
        extras.append(_w(lang, "lab.uln", uln=f"{number(v['uln'])} {unit}".strip()))
    if value is not None and v.get("x_uln") is not None:
        extras.append(_w(lang, "lab.x_uln", x=number(v["x_uln"])))
    if value is not None and v.get("status") in ("undetectable", "abnormal"):
        extras.append(_answer(str(v["status"]), lang))
    return f"{text} ({'; '.join(extras)})" if extras else text


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _is_drugs(v: Mapping) -> bool:
    return isinstance(v.get("drugs"), list)


def _drugs(v: Mapping, lang: str) -> str:
    parts = []
    for drug in v.get("drugs") or []:
        if not isinstance(drug, Mapping):
            continue
        bits = [term_name(drug.get("name") or drug.get("matched"), lang)]
        dose = drug.get("daily_dose_mg")
        if isinstance(dose, (int, float)) and not isinstance(dose, bool):
            bits.append(_w(lang, "drug.dose", dose=number(dose)))
        pred = drug.get("prednisolone_equivalent_mg")
        if isinstance(pred, (int, float)) and not isinstance(pred, bool) and pred != dose:
            bits.append(f"({_w(lang, 'drug.prednisolone', dose=number(pred))})")
        route = drug.get("route")
        if route and route != "oral":
            bits.append(_w(lang, f"drug.routes.{route}") or str(route))
        details = []
        if drug.get("status") in ("current", "stopped"):
            details.append(_w(lang, f"drug.{drug['status']}"))
        if drug.get("days_ago") is not None:
            details.append(_w(lang, "drug.last_taken", when=_days(drug["days_ago"], lang)))
        text = " ".join(b for b in bits if b)
        parts.append(f"{text} ({', '.join(details)})" if details else text)
    text = _w(lang, "join", "; ").join(p for p in parts if p)
    if not text:
        text = _yes_no(v, lang)
    negated = [term_name(n, lang) for n in v.get("negated_drugs") or [] if n]
    extras = []
    if negated:
        extras.append(_w(lang, "drug.not_taken", names=", ".join(negated)))
    if v.get("progression") is True:
        extras.append(_w(lang, "drug.progressed"))
    elif v.get("progression") is False:
        extras.append(_w(lang, "drug.not_progressed"))
    return _w(lang, "join", "; ").join(p for p in [text, *extras] if p)


def _is_bp(v: Mapping) -> bool:
    return "systolic" in v and "diastolic" in v


def _bp(v: Mapping, lang: str) -> str:
    return _w(lang, "blood_pressure", systolic=number(v["systolic"]), diastolic=number(v["diastolic"]))


def _is_ecog(v: Mapping) -> bool:
    return "ecog" in v and not isinstance(v["ecog"], Mapping)


def _ecog(v: Mapping, lang: str) -> str:
    if v["ecog"] is None:
        return ""
    return _w(lang, "ecog_self" if v.get("self_report") else "ecog", ecog=number(v["ecog"]))


_VIROLOGY = ("hiv", "hbsag", "hbv_dna_iu_ml", "hcv_ab", "hcv_rna")


def _is_virology(v: Mapping) -> bool:
    return any(k in v for k in _VIROLOGY)


def _virology(v: Mapping, lang: str) -> str:
    parts = []
    for key in ("hiv", "hbsag"):
        if v.get(key):
            parts.append(_w(lang, f"virology.{key}", status=_answer(str(v[key]), lang)))
    dna = v.get("hbv_dna_iu_ml")
    if isinstance(dna, (int, float)) and not isinstance(dna, bool):
        comparator = v.get("hbv_dna_comparator") or ""
        if dna == 0 and not comparator:
            parts.append(_w(lang, "virology.hbv_dna_undetectable"))
        else:
            parts.append(_w(lang, "virology.hbv_dna", comparator=comparator, value=number(dna)))
    for key in ("hcv_ab", "hcv_rna"):
        if v.get(key):
            parts.append(_w(lang, f"virology.{key}", status=_answer(str(v[key]), lang)))
    return _w(lang, "join_list", ", ").join(parts) or _yes_no(v, lang)


def _is_diagnosis(v: Mapping) -> bool:
    return "sarcoma" in v or "subtype" in v or "extent" in v


def _diagnosis(v: Mapping, lang: str) -> str:
    parts = []
    if v.get("subtype"):
        what = term_name(v["subtype"], lang)
    elif v.get("sarcoma") is True:
        what = _w(lang, "diagnosis.sarcoma")
    elif v.get("sarcoma") is False:
        what = _w(lang, "diagnosis.no_sarcoma")
    else:
        what = ""
    if what and v.get("site"):
        what += f" ({_w(lang, 'diagnosis.sites.' + str(v['site'])) or str(v['site']).replace('_', ' ')})"
    parts.append(what)
    if v.get("extent"):
        parts.append(_w(lang, f"diagnosis.extents.{v['extent']}") or str(v["extent"]).replace("_", " "))
    if v.get("liver_mets") is True:
        parts.append(_w(lang, "diagnosis.liver_mets"))
    elif v.get("liver_mets") is False:
        parts.append(_w(lang, "diagnosis.no_liver_mets"))
    if v.get("other_cancer"):
        parts.append(_w(lang, "diagnosis.other_cancer", name=term_name(v["other_cancer"], lang)))
    text = _w(lang, "join_list", ", ").join(p for p in parts if p)
    return text or _yes_no(v, lang)


def _is_malignancy(v: Mapping) -> bool:
    return "cancer" in v and "answer" in v


def _malignancy(v: Mapping, lang: str) -> str:
    if v.get("answer") != "yes" and not v.get("cancer"):
        return _yes_no(v, lang)
    what = term_name(v["cancer"], lang) if v.get("cancer") else _w(lang, "answers.yes")
    when = _days(v.get("days_ago"), lang)
    text = _w(lang, "event", what=what, when=when) if when else what
    if v.get("exception"):
        text += f" ({_w(lang, 'malignancy.exception')})"
    return text


def _is_fever(v: Mapping) -> bool:
    return "celsius" in v


def _fever(v: Mapping, lang: str) -> str:
    if isinstance(v.get("celsius"), (int, float)) and not isinstance(v["celsius"], bool):
        return _w(lang, "temperature", value=number(v["celsius"]))
    return _yes_no(v, lang)


def _is_when(v: Mapping) -> bool:
    return "days_ago" in v and "answer" not in v and "term" not in v


def _when(v: Mapping, lang: str) -> str:
    when = _days(v.get("days_ago"), lang, bool(v.get("approximate")))
    return _w(lang, "when.on_date", date=v["date"], when=when) if v.get("date") and when else when


def _is_event(v: Mapping) -> bool:
    return "answer" in v and ("days_ago" in v or "term" in v or "terms" in v)


def _event(v: Mapping, lang: str) -> str:
    answer = v.get("answer")
    when = _days(v.get("days_ago"), lang, bool(v.get("approximate")))
    if answer == "yes":
        terms = [t for t in v.get("terms") or [] if t] or ([v["term"]] if v.get("term") else [])
        what = ", ".join(term_name(t, lang) for t in terms) or _w(lang, "event_yes")
        return _w(lang, "event", what=what, when=when) if when else what
    text = _yes_no(v, lang)
    days = v.get("days_ago")
    if answer == "no" and isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0:
        return _w(lang, "when.covers", answer=text, days=number(days))
    return text


def _is_answer_only(v: Mapping) -> bool:
    return set(v) <= {"answer", "stated", "note"} and "answer" in v


_SHAPES = (
    (_is_lab, _lab),
    (_is_drugs, _drugs),
    (_is_bp, _bp),
    (_is_ecog, _ecog),
    (_is_virology, _virology),
    (_is_malignancy, _malignancy),
    (_is_diagnosis, _diagnosis),
    (_is_fever, _fever),
    (_is_event, _event),
    (_is_when, _when),
    (_is_answer_only, _yes_no),
)


def _facts(value: Mapping, lang: str, trial_id: str | None = None) -> str | None:
    """{fact: value} (a criterion fed by several questions): "name: text; ..."."""
    parts = []
    for key, sub in value.items():
        text = _describe(sub, str(key), lang, trial_id)
        if text is None:
            return None  # a shape not known: the caller falls back to the evidence
        if text and isinstance(sub, Mapping) and _is_lab(sub):
            parts.append(text)  # a lab value names itself
        elif text:
            parts.append(_w(lang, "label_value", label=fact_name(str(key), lang, trial_id), value=text))
    return _w(lang, "join", "; ").join(parts)


# --------------------------------------------------------------------------
# Trials and criteria
# --------------------------------------------------------------------------
_TRIAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


def trial_for(trial_id: str | None):
    """The trial definition of a record: the configured trial (``TRIAL_FILE``)
    for its id or for None, else ``<id>.yaml`` beside the configured trial
    file or in ``bot/trials/``; None if no file defines it."""
    return _trial_for(os.environ.get("TRIAL_FILE") or "", trial_id)


@lru_cache(maxsize=32)
def _trial_for(configured_file: str, trial_id: str | None):
    from bot.trial import DEFAULT_TRIAL_FILE, TrialFileError, _cached, get_trial

    try:
        configured = get_trial()
    except TrialFileError:
        return None
    if trial_id is None or trial_id == configured.id:
        return configured
    if not isinstance(trial_id, str) or not _TRIAL_ID.match(trial_id):
        return None
    for folder in dict.fromkeys([Path(configured.path).parent, DEFAULT_TRIAL_FILE.parent]):
        path = folder / f"{trial_id}.yaml"
        if path.is_file():
            try:
                trial = _cached(str(path))
            except TrialFileError:
                return None
            return trial if trial.id == trial_id else None
    return None


def _criterion(criterion_id: str, trial_id: str | None):
    trial = trial_for(trial_id)
    if trial is None:
        return None
    try:
        return trial.criterion(criterion_id)
    except (KeyError, LookupError, ValueError):
        return None


def _in_language(text: Any, language: str) -> str:
    if isinstance(text, Mapping):
        text = text.get(language) or text.get(DEFAULT_LANGUAGE) or next(iter(text.values()), "")
    return str(text or "")


_SOURCE_REF = re.compile(r"^(?P<kind>Inclusion|Exclusion)\s+(?P<n>\d+)(?:\s*\((?P<part>[^)]*)\))?$")


def source_ref_text(ref: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """A registry reference ("Inclusion 8 (liver)") in ``language`` ("入选标准第8条（肝功能）");
    one the words file cannot render is shown as written."""
    match = _SOURCE_REF.match(str(ref or "").strip())
    if match is None or language == DEFAULT_LANGUAGE:
        return str(ref or "")
    text = _w(language, f"source_ref.{match['kind'].lower()}", n=match["n"])
    if not text:
        return str(ref)
    if match["part"]:
        part = _w(language, f"source_ref.parts.{match['part']}") or match["part"]
        text = _w(language, "source_ref.with_part", ref=text, part=part) or f"{text} ({part})"
    return text


def criterion_name(criterion_id: str, trial_id: str | None = None, language: str = "en") -> str:
    """A criterion's readable name from its trial file: its ``name`` if the
    file gives one, else its plain-language description (sentence case); the
    id in words when no trial file knows it."""
    criterion = _criterion(criterion_id, trial_id) if trial_id is not None else None
    if criterion is None:
        criterion = _criterion(criterion_id, None) if trial_id is None else None
    if criterion is None:
        return str(criterion_id).replace("_", " ").capitalize()
    text = _in_language(getattr(criterion, "name", None), language) or _in_language(criterion.plain, language)
    text = text.strip() or criterion.id.replace("_", " ")
    return text[:1].upper() + text[1:]


def criterion_source(criterion_id: str, trial_id: str | None, language: str = "en") -> dict | None:
    """The registry wording ({"ref": "Inclusion 5", "text": ...}) of a
    criterion, only from the screening's own trial file."""
    if trial_id is None:
        return None
    criterion = _criterion(criterion_id, trial_id)
    if criterion is None:
        return None
    return {"ref": criterion.source_ref, "text": _in_language(criterion.source, language)}


# --------------------------------------------------------------------------
# Reasons
# --------------------------------------------------------------------------
_HEDGED = re.compile(r"^hedged answer\s*(“[^”]*”)?\s*:?\s*needs confirmation\s*$", re.I)
_QUOTED = re.compile(r"“([^”]*)”")
QUOTE_KEPT = 30  # characters of a quoted answer kept in a one-line reason


def _sounds_unsure(answer: str | None) -> bool:
    """Whether the answer itself carries a hedge ("I think", "not that I know of")."""
    try:
        from bot.parsing.nlp import has_hedge
        from bot.parsing.yes_no import parse_yes_no

        text = answer or ""
        return has_hedge(text) or parse_yes_no(text, None).note == "hedged"
    except Exception:  # noqa: BLE001 - the parsers may be changing; then trust the rule's word
        return True


def plain_reason(
    reason: str | None, answer: str | None = None, confidence: Any = None, language: str = "en", *, short: bool = False
) -> str:
    """The rule's reason as staff should read it. A reason calling an answer
    "hedged" when the answer has no hedge word (a clear "no, I don't have
    HIV or hepatitis", read with low confidence because it is a self-report,
    not a test) says what really happened instead."""
    if isinstance(reason, dict):  # a stored verdict or review item: its reason in the reader's language
        reason = entry_text(reason, language)
    text = " ".join(str(reason or "").split())
    if not text:
        return ""
    parts = []
    for part in text.split("; "):
        match = _HEDGED.match(part)
        said = match.group(1)[1:-1] if match and match.group(1) else answer  # the answer the rule judged
        if match and said is not None and not _sounds_unsure(said):
            shown = number(float(confidence)) if isinstance(confidence, (int, float)) else "?"
            part = _w(
                language,
                "reasons.low_confidence_short" if short else "reasons.low_confidence",
                "read with low confidence ({confidence}); the answer does not sound unsure - confirm it "
                "(a self-report may need a test or a record)",
                confidence=shown,
            )
        parts.append(part)
    return "; ".join(dict.fromkeys(parts))


def short_reason(reason: str | None, answer: str | None = None, confidence: Any = None, language: str = "en") -> str:
    """:func:`plain_reason` for a one-line summary: quoted answers cut short."""

    def cut(match: re.Match) -> str:
        quoted = " ".join(match.group(1).split())
        return f"“{quoted if len(quoted) <= QUOTE_KEPT else quoted[: QUOTE_KEPT - 1] + '…'}”"

    text = _QUOTED.sub(cut, plain_reason(reason, answer, confidence, language, short=True))
    text = text.strip(" :;")
    return text if len(text) <= 140 else text[:139] + "…"

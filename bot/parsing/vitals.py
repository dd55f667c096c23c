"""Vital signs in free text: blood pressure, temperature, weight, height.

Each parser returns one ``Parsed``; a value that is missing, implausible,
given more than once with different numbers, or whose unit cannot be told
from its size is ``unclear`` with the reason (the bot never guesses).

- ``parse_blood_pressure`` -> kind "blood_pressure", value {"systolic": int, "diastolic": int},
  plus "systolic_max"/"diastolic_max" when the reading is a range: by decade
  ("130s over 80s": 130-139/80-89) or approximate ("around 140/90": up to 145/95)
- ``parse_temperature``    -> kind "temperature", value: float °C
- ``parse_weight``         -> kind "weight", value: float kg
- ``parse_height``         -> kind "height", value: float cm
"""

from __future__ import annotations

import re

from bot.env import max_message_chars
from bot.parsing.nlp import has_hedge, is_approximate
from bot.parsing.types import Parsed, unclear
from bot.parsing.zh import alternatives as zh_alternatives
from bot.parsing.zh import data as zh_data

CONF_STATED = 0.95
CONF_INFERRED = 0.8
APPROXIMATE_MMHG = 5  # "around 140/90" may be up to 145/95
_NUM = r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,2})?)(?![\d]|[.,]\d)"


def _conf(text: str, base: float) -> float:
    # A real hedge ("I think", "not sure") stays below 0.8 so scoring sends it
    # to review; "about 130/85" is an approximate reading, not doubt.
    return round(base - 0.2, 2) if has_hedge(text, quantities=False) else base


def _guard(text) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    return text[: max_message_chars()]  # the one text limit (bot/env.py)


def _float(s: str) -> float:
    return float(s.replace(",", "."))


_ANY_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")


def _cue(words: str) -> re.Pattern:
    """A word naming the measure, right before the number ("weight: about 72")."""
    return re.compile(
        r"(?<![A-Za-z])(?:" + words + r")(?:\s*(?:[:=]|\b(?:is|was|of|at|about|around|"
        r"approx|approximately|roughly|maybe|reading|measured|today|now|like)\b|~))*\s*$",
        re.I,
    )


def _bare_ok(text: str, m: re.Match, cue: re.Pattern) -> bool:
    """May a number without a unit be read as this measure?

    Only in a short answer holding that one number ("72"), or right after a
    word naming the measure ("weight 72"): in a pasted summary a bare number
    is far more likely a lab value ("PLT 25") than a weight.
    """
    if cue.search(text[max(0, m.start() - 40) : m.start()]):
        return True
    return len(text.strip()) <= 60 and len(_ANY_NUMBER_RE.findall(text)) == 1


# --------------------------------------------------------------------------
# Blood pressure.

_BP_RE = re.compile(
    r"(?<![\d./-])(?P<sys>\d{2,3})\s*(?:/|\\|over)\s*(?P<dia>\d{2,3})(?![\d]|\s*/\s*\d|\.\d)"
    r"(?P<unit>\s*mm\s*Hg)?",
    re.I,
)
_SYS_DIA_RE = re.compile(
    r"systolic(?:\s+(?:bp|blood\s+pressure))?\s*(?:is|was|of|:|=)?\s*(?P<sys>\d{2,3})(?![\d])"
    r"(?:\s*mm\s*Hg)?[\s,;and]*diastolic(?:\s+(?:bp|blood\s+pressure))?\s*(?:is|was|of|:|=)?\s*"
    r"(?P<dia>\d{2,3})(?![\d])(?:\s*mm\s*Hg)?",
    re.I,
)
_KPA_RE = re.compile(r"\d\s*kpa", re.I)
_BP_CUE_RE = _cue(r"BP|NIBP|blood\s+pressure|pressure")


# Readings by decade, as people say them: "130s over 80s", "SBP 140s, DBP 80s", "150s/90s".
_BP_DECADES_RE = re.compile(
    r"(?<![\d.])(?P<sys>[1-2]\d)0'?s\s*(?:/|over)\s*(?P<dia>[4-9]|1[0-2])0'?s(?![\w])"
    r"|systolic\s*(?:bp|blood\s+pressure)?\s*(?:in\s+the\s+)?(?P<sys2>[1-2]\d)0'?s[\s,;and]*"
    r"diastolic\s*(?:bp|blood\s+pressure)?\s*(?:in\s+the\s+)?(?P<dia2>[4-9]|1[0-2])0'?s"
    r"|\bSBP\s*(?:in\s+the\s+)?(?P<sys3>[1-2]\d)0'?s[\s,;and]*DBP\s*(?:in\s+the\s+)?(?P<dia3>[4-9]|1[0-2])0'?s",
    re.I,
)


def _decade_reading(text: str) -> Parsed | None:
    m = _BP_DECADES_RE.search(text)
    if not m:
        return None
    tens_s = int(m["sys"] or m["sys2"] or m["sys3"])
    tens_d = int(m["dia"] or m["dia2"] or m["dia3"])
    systolic, diastolic = tens_s * 10, tens_d * 10
    return Parsed(
        kind="blood_pressure",
        value={
            "systolic": systolic,
            "diastolic": diastolic,
            "systolic_max": systolic + 9,
            "diastolic_max": diastolic + 9,
        },
        span=m.group(),
        confidence=_conf(text, CONF_STATED),
        note=f"read by decade: {systolic}-{systolic + 9}/{diastolic}-{diastolic + 9}",
        start=m.start(),
        end=m.end(),
    )


def parse_blood_pressure(text: str) -> Parsed:
    """ "150/95", "150 over 95", "BP 150/95 mmHg", "around 130/85 on meds", and by
    decade: "130s over 80s" (value adds systolic_max/diastolic_max: 139/89)."""
    text = _guard(text)
    if text is None:
        return unclear("no blood pressure given")
    if _KPA_RE.search(text):
        return unclear("blood pressure in kPa: please give it in mmHg")
    decades = _decade_reading(text)
    if decades is not None and not _BP_RE.search(text):
        return decades
    readings = [(int(m["sys"]), int(m["dia"]), m) for m in _BP_RE.finditer(text)]
    # With a "BP" or "mmHg" next to some readings, the others ("AST/ALT 35/40"
    # in a pasted summary) are not blood pressures.
    cued = [r for r in readings if r[2]["unit"] or _BP_CUE_RE.search(text[max(0, r[2].start() - 40) : r[2].start()])]
    readings = cued or readings
    readings += [(int(m["sys"]), int(m["dia"]), m) for m in _SYS_DIA_RE.finditer(text)]
    if not readings:
        return unclear("no blood pressure reading (two numbers like 130/85) found", span=text.strip()[:200])
    distinct = {(s, d) for s, d, _ in readings}
    if len(distinct) > 1:
        shown = ", ".join(f"{s}/{d}" for s, d in sorted(distinct))
        return unclear(f"more than one blood pressure reading: {shown}", span=text.strip()[:200])
    systolic, diastolic, m = readings[0]
    if not (60 <= systolic <= 300 and 30 <= diastolic <= 200 and systolic > diastolic):
        return unclear(f"implausible blood pressure: {systolic}/{diastolic}", span=m.group())
    value = {"systolic": systolic, "diastolic": diastolic}
    if is_approximate(text):
        # "around 140/90": a few mmHg either way.
        value.update(systolic_max=systolic + APPROXIMATE_MMHG, diastolic_max=diastolic + APPROXIMATE_MMHG)
    return Parsed(
        kind="blood_pressure",
        value=value,
        span=m.group(),
        confidence=_conf(text, CONF_STATED),
        start=m.start(),
        end=m.end(),
    )


# --------------------------------------------------------------------------
# Temperature.

_TEMP_RE = re.compile(
    _NUM + r"\s*(?:(?P<c>°\s*C|º\s*C|°?\s*celsius|°?\s*centigrade|deg(?:rees?)?\s*(?:C|celsius|centigrade)"
    r"|C)|(?P<f>°\s*F|º\s*F|°?\s*fahrenheit|deg(?:rees?)?\s*(?:F|fahrenheit)|F)|(?P<deg>°|º|deg(?:rees?)?))?"
    r"(?![A-Za-z])",
    re.I,
)
_CELSIUS_RANGE = (30.0, 45.0)  # survivable body temperatures
_TEMP_CUE_RE = _cue(r"temp(?:erature)?|fever|febrile|pyrexia|T|Tmax")
_FAHRENHEIT_RANGE = (86.0, 113.0)


def _f_to_c(f: float) -> float:
    return round((f - 32.0) * 5.0 / 9.0, 2)


def parse_temperature(text: str) -> Parsed:
    """Temperature in °C: "38.6 °C", "101.3 F", "39" (read as °C), "101.3" (read as °F)."""
    text = _guard(text)
    if text is None:
        return unclear("no temperature given")
    found = []
    matches = list(_TEMP_RE.finditer(text))
    # Bare numbers count only when no number carries a unit ("38.6 C, 2 days").
    if any(m["c"] or m["f"] or m["deg"] for m in matches):
        matches = [m for m in matches if m["c"] or m["f"] or m["deg"]]
    for m in matches:
        raw = _float(m.group(1))
        if not (m["c"] or m["f"] or m["deg"]) and not _bare_ok(text, m, _TEMP_CUE_RE):
            continue
        if m["c"]:
            c, note, conf = raw, "", CONF_STATED
        elif m["f"]:
            c, note, conf = _f_to_c(raw), f"converted from {raw:g} °F", CONF_STATED
        elif _CELSIUS_RANGE[0] <= raw <= _CELSIUS_RANGE[1]:
            c, note, conf = raw, "unit not stated; read as °C from the size of the number", CONF_INFERRED
        elif _FAHRENHEIT_RANGE[0] <= raw <= _FAHRENHEIT_RANGE[1]:
            c, note, conf = _f_to_c(raw), f"unit not stated; {raw:g} read as °F", CONF_INFERRED
        elif m["deg"]:
            return unclear(f"implausible temperature: {m.group().strip()}", span=m.group().strip())
        else:
            continue  # another number in the sentence ("2 days ago")
        if not _CELSIUS_RANGE[0] <= c <= _CELSIUS_RANGE[1]:
            return unclear(f"implausible temperature: {m.group().strip()}", span=m.group().strip())
        found.append((c, note, conf, m))
    if not found:
        return unclear("no temperature value found", span=text.strip()[:200])
    if len({c for c, *_ in found}) > 1:
        shown = ", ".join(f"{c:g} °C" for c in sorted({c for c, *_ in found}))
        return unclear(f"more than one temperature: {shown}", span=text.strip()[:200])
    c, note, conf, m = found[0]
    span = m.group().strip()
    return Parsed(
        kind="temperature",
        value=c,
        span=span,
        confidence=_conf(text, conf),
        note=note,
        start=m.start(),
        end=m.start() + len(span),
    )


# --------------------------------------------------------------------------
# Weight.

_LB_PER_KG = 2.20462
_KG_PER_JIN = 0.5
_ZH_KG = "".join("|" + re.escape(w) for w in zh_data()["weight_kg_words"])
_ZH_JIN = "|".join(re.escape(w) for w in zh_data()["weight_jin_words"])
_KG_PER_STONE = 6.35029
_WEIGHT_RE = re.compile(
    r"(?<![\d.,])(?P<n>\d{1,3}(?:[.,]\d{1,2})?)(?![\d]|[.,]\d)\s*"
    r"(?:(?P<kg>kg|kgs|kilo(?:gram)?s?|kilogrammes?" + _ZH_KG + r")|(?P<jin>" + _ZH_JIN + r")|(?P<lb>lbs?|pounds?)"
    r"|(?P<st>st|stones?)(?:\s*(?:and\s+)?(?P<stlb>\d{1,2}(?:[.,]\d)?)\s*(?:lbs?|pounds?)?)?)?(?![A-Za-z])",
    re.I,
)
_WEIGHT_RANGE = (20.0, 300.0)  # kg; the trial enrols from age 10
_WEIGHT_CUE_RE = _cue(r"weigh(?:s|t|ing)?|wt|body\s+weight")


def parse_weight(text: str) -> Parsed:
    """Weight in kg: "72 kg", "158 lb", "72 kilos", "11 stone 4"."""
    text = _guard(text)
    if text is None:
        return unclear("no weight given")
    found = []
    matches = list(_WEIGHT_RE.finditer(text))
    # Bare numbers count only when no number carries a unit ("I'm 45, 72 kg").
    if any(m["kg"] or m["jin"] or m["lb"] or m["st"] for m in matches):
        matches = [m for m in matches if m["kg"] or m["jin"] or m["lb"] or m["st"]]
    for m in matches:
        raw = _float(m["n"])
        if m["kg"]:
            kg, note, conf = raw, "", CONF_STATED
        elif m["jin"]:
            kg, note, conf = raw * _KG_PER_JIN, f"converted from {raw:g} jin", CONF_STATED
        elif m["lb"]:
            kg, note, conf = raw / _LB_PER_KG, f"converted from {raw:g} lb", CONF_STATED
        elif m["st"]:
            pounds = _float(m["stlb"]) if m["stlb"] else 0.0
            kg = raw * _KG_PER_STONE + pounds / _LB_PER_KG
            note, conf = "converted from stone", CONF_STATED
        elif not _bare_ok(text, m, _WEIGHT_CUE_RE):
            continue
        else:
            # A bare number: only when just one of kg and lb gives a plausible
            # weight (72 could be either: a 10-year-old may weigh 72 lb).
            as_kg = _WEIGHT_RANGE[0] <= raw <= _WEIGHT_RANGE[1]
            as_lb = _WEIGHT_RANGE[0] <= raw / _LB_PER_KG <= _WEIGHT_RANGE[1]
            if as_kg and as_lb:
                return unclear(f"weight {raw:g} without a unit: kg or lb?", span=m.group().strip())
            if not (as_kg or as_lb):
                continue
            kg = raw if as_kg else raw / _LB_PER_KG
            note = f"unit not stated; read as {'kg' if as_kg else 'lb'} from the size of the number"
            conf = CONF_INFERRED
        if not _WEIGHT_RANGE[0] <= kg <= _WEIGHT_RANGE[1]:
            return unclear(f"implausible weight: {m.group().strip()}", span=m.group().strip())
        found.append((round(kg, 1), note, conf, m))
    return _single("weight", found, text, "kg")


def _single(kind: str, found: list, text: str, unit: str) -> Parsed:
    if not found:
        return unclear(f"no {kind} value found", span=text.strip()[:200])
    if len({v for v, *_ in found}) > 1:
        shown = ", ".join(f"{v:g} {unit}" for v in sorted({v for v, *_ in found}))
        return unclear(f"more than one {kind}: {shown}", span=text.strip()[:200])
    value, note, conf, m = found[0]
    span = m.group().strip()
    return Parsed(
        kind=kind,
        value=value,
        span=span,
        confidence=_conf(text, conf),
        note=note,
        start=m.start(),
        end=m.start() + len(span),
    )


# --------------------------------------------------------------------------
# Height.

_CM_PER_INCH = 2.54
_FEET_INCHES_RE = re.compile(
    r"(?<![\d.])(?P<ft>[3-7])\s*(?:'|’|′|ft|feet|foot)\s*(?:and\s+)?"
    r"(?:(?P<in>\d{1,2}(?:\.\d)?)\s*(?:\"|”|″|''|’’|in(?:ch(?:es)?)?)?)?(?![\d])",
    re.I,
)
_ZH_CM = "|" + zh_alternatives("height_cm_words")
_ZH_M = "|" + zh_alternatives("height_m_words")
_HEIGHT_RE = re.compile(
    r"(?<![\d.,'’])(?P<n>\d{1,3}(?:[.,]\d{1,2})?)(?![\d]|[.,]\d)\s*"
    r"(?:(?P<cm>cm|centimet(?:re|er)s?" + _ZH_CM + r")|(?P<m>m|met(?:re|er)s?" + _ZH_M + r")"
    r"|(?P<inch>in|inch(?:es)?|\"|”))?(?![A-Za-z'’′])",
    re.I,
)
# "1米7", "一米六五" (the numeral before 米 is already a digit): metres, then the
# centimetres' digits ("7" is 70 cm, "65" is 65 cm).
_ZH_DIGIT_VALUES = {c: str(i) for c, i in zh_data()["height_digits"].items()}
_ZH_DIGITS = re.escape("".join(_ZH_DIGIT_VALUES))
_ZH_METRE_AND_RE = re.compile(
    r"(?<![\d.])(?P<m>[12])\s*(?:"
    + zh_alternatives("height_m_words")
    + r")\s*(?P<cm>[0-9]{1,2}|["
    + _ZH_DIGITS
    + r"]{1,2})(?![\d"
    + _ZH_DIGITS
    + r"])"
)


def _metre_and_digits(m: re.Match) -> float:
    digits = "".join(_ZH_DIGIT_VALUES.get(c, c) for c in m["cm"])
    return int(m["m"]) * 100 + int(digits.ljust(2, "0"))


_HEIGHT_RANGE = (100.0, 230.0)  # cm; the trial enrols from age 10
_HEIGHT_CUE_RE = _cue(r"height|ht|stature")


def parse_height(text: str) -> Parsed:
    """Height in cm: "175 cm", "1.75 m", "5'9\"", "5 ft 9 in", "69 inches"."""
    text = _guard(text)
    if text is None:
        return unclear("no height given")
    found = []
    taken = []
    for m in _ZH_METRE_AND_RE.finditer(text):
        found.append((float(_metre_and_digits(m)), "", CONF_STATED, m))
        taken.append((m.start(), m.end()))
    for m in _FEET_INCHES_RE.finditer(text):
        inches = _float(m["in"]) if m["in"] else 0.0
        if inches >= 12:
            return unclear(f"implausible height: {m.group().strip()}", span=m.group().strip())
        cm = (int(m["ft"]) * 12 + inches) * _CM_PER_INCH
        found.append((round(cm, 1), "converted from feet and inches", CONF_STATED, m))
        taken.append((m.start(), m.end()))
    matches = [m for m in _HEIGHT_RE.finditer(text) if not any(a <= m.start() < b for a, b in taken)]
    # Bare numbers count only when no number carries a unit ("I'm 45, 175 cm").
    if found or any(m["cm"] or m["m"] or m["inch"] for m in matches):
        matches = [m for m in matches if m["cm"] or m["m"] or m["inch"]]
    for m in matches:
        raw = _float(m["n"])
        if m["cm"]:
            cm, note, conf = raw, "", CONF_STATED
        elif m["m"]:
            cm, note, conf = raw * 100, "converted from metres", CONF_STATED
        elif m["inch"]:
            cm, note, conf = raw * _CM_PER_INCH, "converted from inches", CONF_STATED
        elif not _bare_ok(text, m, _HEIGHT_CUE_RE):
            continue
        else:
            # A bare number only when one unit alone makes it plausible:
            # 175 is cm, 1.75 is m, 69 is inches; 5.9 (feet? 5'9"?) is unclear.
            options = [
                (u, raw * f)
                for u, f in (("cm", 1), ("m", 100), ("in", _CM_PER_INCH))
                if _HEIGHT_RANGE[0] <= raw * f <= _HEIGHT_RANGE[1]
            ]
            if len(options) != 1:
                if 3 <= raw < 8:
                    return unclear(
                        f"height {raw:g}: feet, or feet and inches? Please give e.g. 5'9\" or 175 cm",
                        span=m.group().strip(),
                    )
                continue
            unit, cm = options[0]
            note = f"unit not stated; read as {unit} from the size of the number"
            conf = CONF_INFERRED if unit != "in" else 0.7
        if not _HEIGHT_RANGE[0] <= cm <= _HEIGHT_RANGE[1]:
            return unclear(f"implausible height: {m.group().strip()}", span=m.group().strip())
        found.append((round(cm, 1), note, conf, m))
    return _single("height", found, text, "cm")

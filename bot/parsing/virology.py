"""HIV, hepatitis B and hepatitis C markers for exclusion 10.

``parse_virology(text)`` -> ``Parsed(kind="virology", value=...)`` with::

    {"hiv": "positive" | "negative" | None,
     "hbsag": "positive" | "negative" | None,
     "hbv_dna_iu_ml": float | None,            # 0.0 when "undetectable"
     "hbv_dna_comparator": "<" | "<=" | ">" | ">=" | None,   # "HBV DNA <20"
     "hcv_ab": "positive" | "negative" | None,
     "hcv_rna": "detectable" | "undetectable" | None}

None means "not stated". Test names ("HBsAg+", "anti-HCV negative") give
confidence 0.95; loose names ("HBV positive" read as HBsAg positive) 0.75; a
patient's own words ("I have hepatitis B", "no hepatitis") 0.6, with a note,
because a patient's memory is not a test result. Antibodies that do not
count (anti-HBs, anti-HBc, HBeAg) are recognised so they are never mistaken
for HBsAg. Nothing found at all -> ``unclear``.
"""

from __future__ import annotations

import re

from bot.parsing import labs
from bot.parsing.types import Parsed, unclear
from bot.parsing.zh import alternatives as zh_alternatives

_MAX_LEN = 20000
# A person's plain statement ("I have HIV", "no hepatitis") is taken as said
# (issue 11: a first-person statement is not a hedge); real hedges lower it further.
CONF_TEST, CONF_LOOSE, CONF_PATIENT = 0.95, 0.75, 0.8

_HEP = r"hep(?:atitis)?[\s-]*"


def _zh(*path: str) -> str:
    """ "|word|word..." for the Chinese words of bot/data/zh.yaml at ``path``."""
    return "|" + zh_alternatives(*path)


# Alternation order matters: at one position the first alternative wins, so
# specific test names come before the loose virus names they start with.
_MENTION_RE = re.compile(
    r"(?<![A-Za-z])(?:"
    r"(?P<ignore>anti[\s-]*HBs|HBs[\s-]*Ab|" + _HEP + r"B\s+surface\s+antibod(?:y|ies)|anti[\s-]*HBc|"
    r"HBc[\s-]*Ab|HBe[\s-]*Ag|HBe[\s-]*Ab|anti[\s-]*HBe|" + _HEP + r"B\s+core\s+antibod(?:y|ies)"
    r"|" + _HEP + r"B\s+e\s+antigen|HBcAg" + _zh("virus_names", "ignore") + ")"
    r"|(?P<hbsag>HBs[\s-]*Ag|HBs\s+antigen|"
    + _HEP
    + r"B\s+surface\s+antigen|HBV\s+surface\s+antigen"
    + _zh("virus_names", "hbsag")
    + ")"
    r"|(?P<hbv_dna>HBV[\s-]*DNA|" + _HEP + r"B\s+(?:DNA|viral\s+load|VL)|HBV\s+(?:viral\s+load|VL))"
    r"|(?P<hcv_ab>anti[\s-]*HCV|HCV[\s-]*(?:Ab|antibod(?:y|ies)"
    + _zh("antibody_words")
    + r")|"
    + _HEP
    + r"C\s+antibod(?:y|ies)"
    + _zh("virus_names", "hcv_ab")
    + ")"
    r"|(?P<hcv_rna>HCV[\s-]*RNA|" + _HEP + r"C\s+(?:RNA|viral\s+load|VL)|HCV\s+(?:viral\s+load|VL))"
    r"|(?P<hiv_vl>HIV(?:[\s-]*1)?\s+(?:viral\s+load|RNA|VL))"
    r"|(?P<hiv>HIV(?:[\s-]*1\s*/\s*2|[\s-]*[12](?![\d]))?(?:\s*(?:Ag\s*/\s*Ab|Ab|antibod(?:y|ies)|"
    r"test|serology|screen"
    + _zh("antibody_words")
    + r"))?|human\s+immunodeficiency\s+virus|(?-i:AIDS)"
    + _zh("virus_names", "hiv")
    + ")"
    r"|(?P<hep_bc>" + _HEP + r"B\s*(?:,|/|&|\band\b|\bor\b|\bnor\b)\s*C)"
    r"|(?P<hep_b>" + _HEP + r"B|HBV" + _zh("virus_names", "hep_b") + ")"
    r"|(?P<hep_c>" + _HEP + r"C|HCV" + _zh("virus_names", "hep_c") + ")"
    r"|(?P<hep>hepatitis|hep)"
    r"|(?P<vl>viral\s+load|VL|DNA|RNA)"
    r")(?![A-Za-z])",
    re.I,
)
# Between names sharing one result; Chinese lists may have no separator at all (乙肝丙肝艾滋病都是阴性).
_GROUP_SEP_RE = re.compile(r"\s*(?:,|，|/|&|\u3001|\band\b|\bor\b|\bnor\b" + _zh("list_joiners") + r")?\s*", re.I)
_STATUS_RE = re.compile(
    r"(?:\s*(?:[:=：]|\b(?:is|was|were|are|test(?:ed|s)?|results?|status|screen(?:ing)?|serology|all|both)\b"
    + _zh("result_fillers")
    + r"))*"
    r"\s*(?:(?P<pos>positive|pos\b|reactive|detected|detectable|present|\(\s*\+\s*\)|\+(?![\d+])|carrier"
    + _zh("result_positive")
    + r")|(?P<neg>negative|neg\b|non[\s-]?reactive|not\s+detected|undetectable|undetected|absent|"
    r"\(\s*-\s*\)|-(?![\d\w-])" + _zh("result_negative") + r"))",
    re.I,
)
# Words just before a mention that settle it: "no hepatitis", "negative for
# HIV", "I have hepatitis B", "history of hepatitis C".
_NEG_BEFORE_RE = re.compile(
    r"(?:\bno\b|\bnot\b|\bnever\b|\bwithout\b|negative\s+for|free\s+of|\bdenies\b|"
    r"(?:do|does|did)\s*n[o']?t\s+have|haven'?t\s+(?:got|had)|never\s+had|\bnor\b" + _zh("virus_denials") + r")"
    r"(?:\s+(?:any|a|an|known|history\s+of|evidence\s+of|infection\s+with|got|had))*\s*$",
    re.I,
)
_POS_BEFORE_RE = re.compile(
    r"(?:positive\s+for|diagnosed\s+with|carrier\s+of|living\s+with|infected\s+with|"
    r"\b(?:i|he|she|they|we|patient|pt)\s+(?:ha(?:ve|s)|got)(?:\s+got)?|\bhas\b|\bknown\b"
    + _zh("result_affirmations")
    + r")"
    r"(?:\s+(?:a|an|chronic|active|known))*\s*$",
    re.I,
)
_PAST_BEFORE_RE = re.compile(
    r"(?:\bhad\b|history\s+of|previous|past|treated\s+for|recovered\s+from|cured\s+of|used\s+to\s+have)"
    r"(?:\s+(?:a|an|chronic|known))*\s*$",
    re.I,
)
_ANY_NEGATION_RE = re.compile(
    r"(?<![A-Za-z])(?:no|not|never|dont|doesnt|unsure|unknown|maybe|perhaps)(?![A-Za-z])|n['’]t(?![A-Za-z])", re.I
)
# Chinese denials count only in the virus's own clause: "我有乙肝，丙肝阴性" has hepatitis B.
_ZH_DENIAL_RE = re.compile(zh_alternatives("result_denials"))
_ZH_CLAUSE_RE = re.compile(r"[,，。；;.!?！？\n]" + _zh("virus_clause_breaks"))
_FIRST_PERSON_RE = re.compile(r"(?<![A-Za-z])(?:i|i'm|im|my|me|we|our)(?![A-Za-z])", re.I)
_CLAUSE_END_RE = re.compile(r"[.;:!?\n]|\bbut\b", re.I)


class _Result:
    """Collects findings; a field stated twice differently becomes None."""

    FIELDS = ("hiv", "hbsag", "hbv_dna_iu_ml", "hbv_dna_comparator", "hcv_ab", "hcv_rna")

    def __init__(self) -> None:
        self.value = {f: None for f in self.FIELDS}
        self.conflicts: set = set()
        self.notes: list = []
        self.confidence = CONF_TEST
        self.spans: list = []

    def set(self, field: str, val, conf: float, start: int, end: int, note: str = "") -> None:
        if field in self.conflicts:
            return
        old = self.value[field]
        if old is not None and old != val:
            self.value[field] = None
            self.conflicts.add(field)
            self.notes.append(f"{field}: contradictory statements")
            self.confidence = min(self.confidence, 0.5)
            return
        self.value[field] = val
        self.confidence = min(self.confidence, conf)
        self.spans.append((start, end))
        if note and note not in self.notes:
            self.notes.append(note)


def parse_virology(text: str) -> Parsed:
    """HIV / HBV / HCV markers stated in ``text``. Never raises."""
    if not isinstance(text, str) or not text.strip():
        return unclear("no answer given")
    text = text[:_MAX_LEN]
    result = _Result()
    mentions = list(_MENTION_RE.finditer(text))
    context = None  # the virus last named, for "viral load" / "RNA" / "DNA"
    i = 0
    while i < len(mentions):
        group = [mentions[i]]
        while i + 1 < len(mentions):
            sep = _GROUP_SEP_RE.match(text, group[-1].end())
            if not sep or sep.end() != mentions[i + 1].start():
                break
            if mentions[i + 1].lastgroup in _QUANTITIES and group[-1].lastgroup not in _QUANTITIES:
                break  # "hepatitis B, DNA 200 IU/ml": the amount belongs to the DNA, not a shared status
            lead = _prefix(text, group[0].start())
            if len(group) == 1 and _POS_BEFORE_RE.search(lead) and not _NEG_BEFORE_RE.search(lead):
                break  # "I have hepatitis B, hep C negative", "我有乙肝，丙肝阴性": the result is hep C's alone
            i += 1
            group.append(mentions[i])
        i += 1
        context = _read_group(text, group, result, context)
    if not any(v is not None for v in result.value.values()):
        if result.notes:
            return unclear("; ".join(result.notes), span=text.strip()[:200])
        return unclear("no HIV, hepatitis B or hepatitis C result found", span=text.strip()[:200])
    start = min((a for a, _ in result.spans), default=0)
    end = max((b for _, b in result.spans), default=0)
    return Parsed(
        kind="virology",
        value=result.value,
        span=text[start:end],
        confidence=round(result.confidence, 2),
        note="; ".join(result.notes),
        start=start,
        end=end,
    )


_QUANTITIES = ("vl", "hbv_dna", "hcv_rna", "hiv_vl")
_LOOSE_NAMES = ("hep_b", "hep_c", "hep_bc", "hiv")
# Words after a virus name that make it a test, not an infection the person has.
_NOT_HAD_AFTER = re.compile(
    r"^\W{0,3}(?:\w+\W+){0,2}?(?:tests?|tested|pending|status|screen\w*|unknown|not\s+done|results?|vaccin\w*|"
    r"immuni[sz]\w*|serology|\?)",
    re.I,
)


def _named_as_had(text: str, group: list) -> bool:
    """A virus named without a result or a negation ("hepatitis B, DNA 200") is
    one the person has: loose names only, never a test name with no result."""
    if any(m.lastgroup not in _LOOSE_NAMES for m in group) or "?" in text:
        return False
    if _ANY_NEGATION_RE.search(text) or _PAST_BEFORE_RE.search(_prefix(text, group[0].start())):
        return False
    if _ZH_DENIAL_RE.search(_clause_of(text, group[0].start(), group[-1].end())):
        return False
    if re.search(r"\b(?:test|tested|screen|pending|unknown|result)", group[-1].group(), re.I):
        return False
    return not _NOT_HAD_AFTER.match(text[group[-1].end() : group[-1].end() + 40])


def _clause_of(text: str, start: int, end: int) -> str:
    """The clause holding text[start:end] (Chinese and ASCII punctuation, 但是/不过)."""
    before = [m.end() for m in _ZH_CLAUSE_RE.finditer(text, 0, start)]
    after = _ZH_CLAUSE_RE.search(text, end)
    return text[(before[-1] if before else 0) : (after.start() if after else len(text))]


def _prefix(text: str, start: int) -> str:
    """The clause before ``start`` (at most 60 characters)."""
    before = text[max(0, start - 60) : start]
    ends = list(_CLAUSE_END_RE.finditer(before))
    cut = ends[-1] if ends else None
    return before[cut.end() :] if cut else before


def _read_group(text: str, group: list, result: _Result, context):
    """Record what one mention, or a list of mentions sharing a status, says."""
    last = group[-1]
    status = _STATUS_RE.match(text, last.end(), min(len(text), last.end() + 80))
    prefix = _prefix(text, group[0].start())
    polarity, cue = None, None
    if status:
        polarity = "positive" if status["pos"] else "negative"
    elif cue := _NEG_BEFORE_RE.search(prefix):
        polarity = "negative"
    elif cue := _PAST_BEFORE_RE.search(prefix):
        polarity = "past"
    elif cue := _POS_BEFORE_RE.search(prefix):
        # "I don't think I have hepatitis": a negation elsewhere in the clause
        # makes the statement too uncertain to record either way.
        polarity = "hedged" if _ANY_NEGATION_RE.search(prefix) else "positive"
    if status and _NEG_BEFORE_RE.search(prefix) and polarity == "positive":
        polarity = None  # "not HIV positive" is not worth guessing at
    if polarity is None and _named_as_had(text, group):
        polarity = "positive"  # "hepatitis B" as the answer to "which one?": the person has it
    patient = bool(_FIRST_PERSON_RE.search(prefix))
    end = status.end() if status else last.end()
    # The evidence includes a cue before the names ("no hepatitis").
    first = group[0].start() - len(prefix) + cue.start() if cue else None
    for m in group:
        kind = m.lastgroup
        if kind in ("hep_b", "hbsag", "hbv_dna", "hep_bc"):
            context = "b"
        elif kind in ("hep_c", "hcv_ab", "hcv_rna"):
            context = "c"
        elif kind in ("hiv", "hiv_vl"):
            context = "hiv"
        _apply(
            text,
            m,
            kind,
            polarity,
            patient,
            result,
            context,
            first if first is not None else m.start(),
            end,
            len(group) > 1,
        )
    return context


def _apply(text, m, kind, polarity, patient, result, context, start, end, grouped) -> None:
    name = m.group()
    conf_loose = CONF_PATIENT if patient else CONF_LOOSE
    conf_test = CONF_PATIENT if patient else CONF_TEST
    note_patient = f"from the patient's own words ('{name}'), not a test result" if patient else ""
    if kind == "ignore":
        if polarity in ("positive", "negative"):
            result.notes.append(f"{name} {polarity} noted; it does not decide exclusion 10")
        return
    if kind == "vl":
        kind = {"b": "hbv_dna", "c": "hcv_rna", "hiv": "hiv_vl"}.get(context)
        if kind is None:
            result.notes.append(f"'{name}' without a named virus ignored")
            return
    if polarity == "past":
        result.notes.append(f"past '{name}' mentioned; current status not stated")
        return
    if polarity == "hedged":
        result.notes.append(f"'{name}' mentioned with a hedge or negation; not recorded")
        result.confidence = min(result.confidence, CONF_PATIENT)
        return
    if kind == "hiv_vl":
        result.notes.append(f"'{name}' mentioned: suggests known HIV infection; HIV status must be checked")
        result.confidence = min(result.confidence, CONF_LOOSE)
        return
    if kind in ("hbv_dna", "hcv_rna"):
        _apply_quantity(text, m, kind, polarity, result, conf_test, grouped)
        return
    if polarity not in ("positive", "negative"):
        return
    if kind == "hiv":
        result.set("hiv", polarity, conf_test, start, end, note_patient)
    elif kind == "hbsag":
        result.set("hbsag", polarity, conf_test, start, end, note_patient)
    elif kind == "hcv_ab":
        result.set("hcv_ab", polarity, conf_test, start, end, note_patient)
    elif kind == "hep_b":
        note = note_patient or f"read '{name} {polarity}' as HBsAg {polarity}"
        result.set("hbsag", polarity, conf_loose, start, end, note)
    elif kind == "hep_c":
        note = note_patient or f"read '{name} {polarity}' as HCV antibody {polarity}"
        result.set("hcv_ab", polarity, conf_loose, start, end, note)
    elif kind == "hep_bc":
        note = note_patient or f"read '{name} {polarity}' as HBsAg and HCV antibody {polarity}"
        result.set("hbsag", polarity, conf_loose, start, end, note)
        result.set("hcv_ab", polarity, conf_loose, start, end, note)
    elif kind == "hep":
        if polarity == "negative":
            # "no hepatitis": neither B nor C, as far as the person knows.
            note = f"'{name}' read as no hepatitis B or C (not a test result)"
            result.set("hbsag", "negative", CONF_PATIENT, start, end, note)
            result.set("hcv_ab", "negative", CONF_PATIENT, start, end, note)
        else:
            result.notes.append(f"'{name}' {polarity} without saying which (B or C)")
            result.confidence = min(result.confidence, CONF_PATIENT)


def _apply_quantity(text, m, kind, polarity, result, conf, grouped) -> None:
    """HBV DNA / HCV RNA: a number ("300 IU/ml", "2x10^3", "<20") or a status."""
    lab = None if grouped else labs.read_lab_at(text, m.end(), "hbv_dna")
    if lab is not None and lab.kind == "lab" and lab.value.get("value") is not None:
        value, comparator = lab.value["value"], lab.value["comparator"]
        span_end = lab.end or m.end()
        if kind == "hbv_dna":
            result.set("hbv_dna_iu_ml", value, min(conf, lab.confidence), m.start(), span_end, lab.note)
            if comparator:
                result.set("hbv_dna_comparator", comparator, conf, m.start(), span_end)
            return
        if lab.value["status"] == "undetectable" or value == 0:
            result.set("hcv_rna", "undetectable", conf, m.start(), span_end)
        elif comparator in ("<", "<="):
            result.notes.append(
                f"HCV RNA reported as {comparator}{value:g}: below quantification, detection not stated"
            )
            result.confidence = min(result.confidence, CONF_PATIENT)
        else:
            result.set("hcv_rna", "detectable", conf, m.start(), span_end)
        return
    if lab is not None and lab.unclear:
        result.notes.append(f"{m.group()}: {lab.note}")
        result.confidence = min(result.confidence, CONF_PATIENT)
        return
    if polarity == "positive":
        if kind == "hcv_rna":
            result.set("hcv_rna", "detectable", conf, m.start(), m.end())
        else:
            result.notes.append("HBV DNA detectable but no amount given")
            result.confidence = min(result.confidence, CONF_LOOSE)
    elif polarity == "negative":
        if kind == "hcv_rna":
            result.set("hcv_rna", "undetectable", conf, m.start(), m.end())
        else:
            result.set("hbv_dna_iu_ml", 0.0, conf, m.start(), m.end(), "HBV DNA undetectable")

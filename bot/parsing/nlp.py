"""Shared language layer of the answer parsers.

One job: give every parser the same cheap, cached view of the text.

* ``lexicon()``: the vocabulary in ``bot/data/lexicon.yaml`` (loaded once).
* ``get_nlp()``: one blank English spaCy pipeline (sentencizer, an
  EntityRuler built from the lexicon, negspacy's Negex), built lazily once
  per process: importing spaCy costs seconds, running it costs microseconds.
* ``mentions(text)``: lexicon terms found in a text, each with its negation,
  cached per text so several parsers can look at one answer for free.
  Chinese terms are matched as substrings (the English tokenizer does not
  split Chinese) with a small preceding-cue negation rule.
* small helpers every parser needs: ``guard`` (never raise), ``clean``,
  ``phrase_regex``, ``negated_before``, ``has_hedge``, ``as_date``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from bot.env import max_message_chars
from bot.parsing.types import Parsed, unclear

LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "lexicon.yaml"

# Answers longer than this are not chat answers; refusing them keeps every
# parser fast and avoids guessing inside a pasted document.

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
# Control characters (except tab/newline) carry no meaning in an answer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９：．，－／（）％＋"}
_QUOTES = {ord(c): "'" for c in "\u2018\u2019\u201b\u00b4`\u02bc"}


# ----------------------------------------------------------------- helpers
def as_date(today) -> date:
    """``today`` as a date (accepts None, date or datetime)."""
    if today is None:
        return date.today()
    if isinstance(today, datetime):
        return today.date()
    if isinstance(today, date):
        return today
    raise TypeError("today must be a date")


def clean(text) -> str:
    """Same-length cleanup so offsets stay valid in the original text.

    Control characters become spaces, curly quotes become ', full-width
    digits and punctuation become ASCII. Length never changes.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _CONTROL.sub(" ", text)
    return text.translate(_FULLWIDTH).translate(_QUOTES)


def lower(text: str) -> str:
    """Lower-case without changing length ('İ'.lower() has two chars)."""
    if text.isascii():
        return text.lower()  # ASCII lower-casing never changes the length
    out = []
    for ch in text:
        lo = ch.lower()
        out.append(lo if len(lo) == 1 else ch)
    return "".join(out)


# Markup and injection attempts: refused by every parser. Bare "<" and ">"
# stay allowed because clinicians write "ANC <1.5" and "BP > 140".
_CODE = re.compile(
    r"<\s*/?\s*[a-z!?][^<>]*>|javascript\s*:|\{\{|\$\{|;\s*--|\bdrop\s+table\b"
    r"|\bunion\s+select\b|\binsert\s+into\b|\bdelete\s+from\b|\bselect\s+\*\s+from\b",
    re.I,
)


def looks_like_code(text: str) -> bool:
    """Markup, template or SQL injection in an answer."""
    return bool(_CODE.search(text))


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def guard(kind_hint: str) -> Callable:
    """Decorator: a parser never raises, whatever the input.

    Non-string input, over-long input and any internal error become an
    honest ``unclear`` instead of an exception in the chat.
    """

    def wrap(fn):
        @functools.wraps(fn)
        def inner(text=None, *args, **kwargs):
            if text is None:
                return unclear("no answer given")
            if not isinstance(text, str):
                text = str(text)
            if len(text) > max_message_chars():
                return unclear(f"answer too long to interpret ({len(text)} characters)")
            if looks_like_code(text):
                return unclear("answer contains markup or code")
            cleaned = clean(text)
            try:
                result = fn(cleaned, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the chat must go on
                return unclear(f"could not interpret the answer ({kind_hint}: {type(exc).__name__})")
            if not isinstance(result, Parsed):
                return unclear(f"could not interpret the answer ({kind_hint})")
            s, e = result.start, result.end
            if (
                s is not None
                and e is not None
                and 0 <= s <= e <= len(text)
                and result.span == cleaned[s:e]
                and cleaned != text
            ):
                # Offsets survive cleaning; give the evidence as the person typed it.
                result = replace(result, span=text[s:e])
            return result

        return inner

    return wrap


def phrase_regex(phrases: Iterable[str], *, whole_word: bool = True) -> re.Pattern | None:
    """One alternation regex for literal phrases, longest first.

    Whole-word boundaries for Latin phrases; Chinese phrases match anywhere.
    Whitespace inside a phrase matches any run of spaces or a hyphen.
    """
    parts = []
    for p in sorted({p.strip().lower() for p in phrases if p and p.strip()}, key=len, reverse=True):
        body = r"[\s\-]+".join(re.escape(w) for w in p.split())
        if whole_word and not is_cjk(p):
            body = rf"(?<![\w']){body}(?![\w'])"
        parts.append(body)
    if not parts:
        return None
    return re.compile("|".join(parts))


# ----------------------------------------------------------------- lexicon
def _yaml_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader without YAML 1.1 'yes/no/on/off' booleans: the
        lexicon lists the words "yes", "no" and "on" as words."""

    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return yaml, Loader


@functools.lru_cache(maxsize=1)
def lexicon() -> dict:
    """The parsers' vocabulary (bot/data/lexicon.yaml), loaded once."""
    yaml, loader = _yaml_loader()
    with open(LEXICON_PATH, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def words(*path: str) -> list:
    """A list from the lexicon by key path (empty when missing)."""
    node = lexicon()
    for key in path:
        if not isinstance(node, dict):
            return []
        node = node.get(key, {})
    return list(node) if isinstance(node, list) else []


_QUANTITY = (
    r"\s*(?:\d|an?\b|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|half|the\s+same|a\s+few)"
)


@functools.cache
def hedge_regex(quantities: bool = True) -> re.Pattern:
    plain = phrase_regex(words("hedges"))
    if not quantities:
        return plain
    qty = sorted((w for w in words("quantity_hedges") if w), key=len, reverse=True)
    qty_rx = "|".join(re.escape(w) for w in qty)
    return re.compile(rf"(?:{plain.pattern})|(?<![\w'])(?:{qty_rx}){_QUANTITY}")


@functools.cache
def value_hedge_regex() -> re.Pattern:
    """A hedge written just before a value ("about 3.1", "~140/90", "maybe 5"),
    matched at a position: the lab and vital-sign readers mark such a value
    approximate. Same vocabulary as ``has_hedge`` (lexicon ``hedges`` and
    ``quantity_hedges``): one place for hedge words."""
    phrases = sorted({w for w in words("quantity_hedges") + words("hedges") if w}, key=len, reverse=True)
    body = "|".join(r"[\s\-]+".join(re.escape(part) for part in p.split()) for p in phrases)
    return re.compile(rf"(?:{body})(?![a-z])\.?\s*", re.I)


def is_quantity_hedge(word: str) -> bool:
    """Is ``word`` ("about", "~", "approx.") an approximation rather than doubt?"""
    cleaned = " ".join(lower(word).strip().rstrip(".").split())
    return cleaned in {w.rstrip(".") for w in words("quantity_hedges")} or cleaned in ("≈", "approximately")


def is_approximate(text: str) -> bool:
    """An approximation of an amount or a time ("about 45", "around 130/85"), which
    makes a value approximate but is not doubt about the fact itself."""
    return bool(hedge_regex(True).search(lower(text))) and not has_hedge(text, quantities=False)


def has_hedge(text: str, quantities: bool = True) -> bool:
    """Does the answer carry a hedge ("I think", "maybe", "about 45")?

    ``quantities=False`` ignores "about"/"around" before a number: for times
    they make the date approximate (flagged and bounded), not the answer
    doubtful.
    """
    return bool(hedge_regex(quantities).search(lower(text)))


_NEG_BEFORE = re.compile(
    r"(?:\bnot|\bnever|n't|\bno longer|\bno|\bwithout|\bisnt|\bdont|\bdidnt|\bcant|\bnor)"
    r"(?:\W+\w+){0,2}\W*$"
)


def negated_before(text: str, start: int) -> bool:
    """Is there a negation cue at most two words before ``start``?

    Used by the regex-based parsers (ECOG descriptions, extents, progression)
    where a spaCy entity would be overkill. ``text`` must be lower-cased.
    """
    window = text[max(0, start - 30) : start]
    window = re.split(r"[.;!?,]|\bbut\b", window)[-1]
    if _NEG_BEFORE.search(window):
        return True
    # Chinese: a preceding cue (没有截肢, 未做过) in the same clause, within a few characters.
    near = re.split(r"[.;!?,。；，、]", window)[-1][-6:]
    for pseudo in words("negation", "cjk_pseudo"):
        near = near.replace(pseudo, " " * len(pseudo))
    cues = words("negation", "cjk_preceding")
    ends = words("negation", "cjk_termination")
    for cue in sorted(cues, key=len, reverse=True):
        at = near.rfind(cue)
        if at >= 0 and not any(end in near[at:] for end in ends):
            return True
    return False


# ---------------------------------------------------------------- pipeline
def is_cased(term: str) -> bool:
    """Abbreviations written in capitals in the lexicon ("UPS", "GIST", "MI")
    match only in capitals: "ups and downs" is not a sarcoma."""
    return any(c.isalpha() for c in term) and term.isupper() and not is_cjk(term)


def _variants(term: str) -> set:
    """Spelling variants: hyphen/space and a simple plural of the last word."""
    term = term.strip()
    if is_cased(term):
        return {term, term + "s"}
    term = term.lower()
    out = {term}
    if "-" in term:
        out.add(term.replace("-", " "))
        out.add(term.replace("-", ""))
    if not is_cjk(term) and len(term) > 3 and term[-1].isalpha():
        if term.endswith(("s", "x", "ch", "sh")):
            out.add(term + "es")
        elif term.endswith("y") and term[-2] not in "aeiou":
            out.add(term[:-1] + "ies")
        else:
            out.add(term + "s")
    return out


@dataclass(frozen=True)
class Term:
    label: str  # EVENT, DRUG, SARCOMA, CANCER, EXCEPTION, BONE_VAGUE
    key: str  # canonical name
    groups: tuple  # event groups (EVENT) or () ; "uncertain:<group>" marks weak terms


@functools.lru_cache(maxsize=1)
def term_table() -> dict:
    """Every lexicon term (lower-case variant) -> tuple of Term entries."""
    lex = lexicon()
    table: dict = {}

    def add(phrase, term):
        for v in _variants(str(phrase)):
            entries = table.setdefault(v, [])
            if term not in entries:
                entries.append(term)

    merged: dict = {}
    for group, spec in (lex.get("events") or {}).items():
        for strength in ("terms", "uncertain"):
            for key, syns in (spec.get(strength) or {}).items():
                tag = group if strength == "terms" else f"uncertain:{group}"
                merged.setdefault(key, {"syns": set(), "groups": []})
                merged[key]["syns"].update(str(s) for s in syns)
                merged[key]["syns"].add(key.replace("_", " "))
                if tag not in merged[key]["groups"]:
                    merged[key]["groups"].append(tag)
    for key, spec in merged.items():
        t = Term("EVENT", key, tuple(spec["groups"]))
        for s in spec["syns"]:
            add(s, t)
    for key, spec in (lex.get("drugs") or {}).items():
        for s in spec.get("synonyms", []) + [key]:
            if not key.endswith("_unspecified") or s != key:
                add(s, Term("DRUG", key, ()))
    for key, spec in (lex.get("sarcoma_subtypes") or {}).items():
        for s in spec.get("synonyms", []):
            add(s, Term("SARCOMA", key, ()))
    for s in lex.get("bone_cancer_vague", []):
        add(s, Term("BONE_VAGUE", "bone_cancer", ()))
    for key, syns in (lex.get("other_cancers") or {}).items():
        for s in syns:
            add(s, Term("CANCER", key, ()))
    for key, syns in (lex.get("malignancy_exceptions") or {}).items():
        for s in syns:
            add(s, Term("EXCEPTION", key, ()))
    return {k: tuple(v) for k, v in table.items()}


_NLP = None
_NLP_LOCK = threading.Lock()


def get_nlp():
    """The shared spaCy pipeline, built once per process (thread-safe)."""
    global _NLP
    if _NLP is None:
        with _NLP_LOCK:
            if _NLP is None:
                _NLP = _build_nlp()
    return _NLP


def _import_spacy_without_tensorflow():
    """Import spaCy without letting thinc import TensorFlow.

    thinc (spaCy's ML layer) imports TensorFlow whenever it is installed, and Rasa
    installs it. This rule-based pipeline never uses it; importing it costs the
    action server seconds and hundreds of MB. The block is lifted right after, so
    code that really needs TensorFlow can still import it.
    """
    import sys

    blocked = "tensorflow" not in sys.modules
    if blocked:
        sys.modules["tensorflow"] = None  # makes `import tensorflow` fail fast
    try:
        import spacy
    finally:
        if blocked and sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]
    return spacy


def _build_nlp():
    spacy = _import_spacy_without_tensorflow()
    from negspacy.negation import Negex  # noqa: F401 - registers "negex"
    from negspacy.termsets import termset

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # Two rulers: case-insensitive words, then capitals-only abbreviations.
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    cased = nlp.add_pipe("entity_ruler", name="entity_ruler_cased", config={"phrase_matcher_attr": "ORTH"})
    patterns, cased_patterns = [], []
    for phrase, terms in term_table().items():
        if is_cjk(phrase):
            continue  # matched by _cjk_mentions: the tokenizer keeps Chinese in one token
        # One pattern per phrase; the label is the first entry's, the id the phrase.
        pattern = {"label": terms[0].label, "pattern": phrase, "id": phrase}
        (cased_patterns if is_cased(phrase) else patterns).append(pattern)
    ruler.add_patterns(patterns)
    cased.add_patterns(cased_patterns)

    neg = lexicon().get("negation", {})
    ts = termset("en_clinical").get_patterns()
    ts["preceding_negations"] = sorted(set(ts["preceding_negations"]) | set(neg.get("preceding", [])))
    ts["following_negations"] = sorted(set(ts["following_negations"]) | set(neg.get("following", [])))
    not_pseudo = set(neg.get("not_pseudo", []))
    ts["pseudo_negations"] = sorted((set(ts["pseudo_negations"]) | set(neg.get("pseudo", []))) - not_pseudo)
    ts["termination"] = sorted(set(ts["termination"]) | set(neg.get("termination", [])))
    nlp.add_pipe("negex", config={"neg_termset": ts})
    return nlp


# ---------------------------------------------------------------- mentions
@dataclass(frozen=True)
class Mention:
    """A lexicon term found in an answer."""

    label: str
    key: str
    groups: tuple
    text: str
    start: int
    end: int
    negated: bool
    sent_start: int
    sent_end: int
    terms: tuple = ()  # all Term entries for this phrase (a phrase can be drug and event)


_INTERJECTIONS = {"no", "nope", "nah", "never", "none", "not"}
_MAX_GAP = 4  # non-glue words a negation cue can reach over (NegEx uses ~5)


def mentions(text: str) -> tuple:
    """Lexicon terms in ``text`` with negation; cached per text."""
    if not text or len(text) > max_message_chars():
        return ()
    return _mentions(clean(text))


@functools.lru_cache(maxsize=1024)
def _mentions(text: str) -> tuple:
    found = list(_latin_mentions(text)) + list(_cjk_mentions(text))
    found.sort(key=lambda m: m.start)
    return tuple(found)


def _latin_mentions(text: str):
    nlp = get_nlp()
    doc = nlp(text)
    table = term_table()
    negex = nlp.get_pipe("negex")
    glue = {w.lower() for w in words("negation", "glue")}
    clause_starts = {w.lower() for w in words("negation", "clause_starts")}
    preceding, following, terminating = negex.process_negations(doc)
    stops = sorted({s.start for s in doc.sents} | {t[1] for t in terminating} | {len(doc)})
    ent_tokens = {i for e in doc.ents for i in range(e.start, e.end)}

    def boundary(i):
        lo = max([s for s in stops if s <= i] or [0])
        hi = min([s for s in stops if s > i] or [len(doc)])
        return lo, hi

    def cue_reaches(cue_start, cue_end, ent):
        lo, hi = boundary(ent.start)
        if not (lo <= cue_start < hi):
            return False
        # "No, I had chemo in March": a bare "no" followed by a comma is the
        # answer to the question, not a negation of what follows.
        if (
            cue_end - cue_start == 1
            and doc[cue_start].lower_ in _INTERJECTIONS
            and cue_end < len(doc)
            and doc[cue_end].is_punct
        ):
            return False
        between = doc[cue_end : ent.start]
        gap = [t for t in between if not t.is_punct and t.i not in ent_tokens and t.lower_ not in glue]
        # "never had apatinib or anlotinib, progressed on pazopanib": a comma followed by a
        # new verb ends the negation; a list ("no chemo, RT or surgery") does not.
        for t in between:
            if t.text in (",", ";") and any(
                not g.is_punct and g.i not in ent_tokens and g.lower_ not in glue and g.i > t.i for g in between
            ):
                return False
            # "can't operate, I had anlotinib": the cue already had its object before the comma,
            # or a new clause starts after it ("..., I had", "..., then took").
            if t.text in (",", ";") and any(
                not g.is_punct and g.i not in ent_tokens and g.lower_ not in glue and g.i < t.i for g in between
            ):
                return False
            after = next((g for g in between if g.i > t.i and not g.is_punct), None)
            if t.text in (",", ";") and after is not None and after.lower_ in clause_starts:
                return False
        return len(gap) <= _MAX_GAP

    for ent in doc.ents:
        terms = table.get(ent.ent_id_) or table.get(ent.text.lower())
        if not terms:
            continue
        negated = False
        if ent._.negex:
            negated = any(c[2] <= ent.start and cue_reaches(c[1], c[2], ent) for c in preceding)
            if not negated:
                lo, hi = boundary(ent.start)
                # "chemo: none", "MI - denied"; never across a comma ("sarcoma, never had TKIs").
                negated = any(
                    ent.end <= c[1] < hi
                    and c[1] - ent.end <= 3
                    and not any(t.text in (",", ";") for t in doc[ent.end : c[1]])
                    for c in following
                )
        sent = ent.sent
        first = terms[0]
        yield Mention(
            first.label,
            first.key,
            first.groups,
            ent.text,
            ent.start_char,
            ent.end_char,
            negated,
            sent.start_char,
            sent.end_char,
            terms,
        )


@functools.lru_cache(maxsize=1)
def _cjk_regex():
    return phrase_regex([p for p in term_table() if is_cjk(p)], whole_word=False)


def _denied_after(text: str, end: int, terms_rx, stops) -> bool:
    """A Chinese denial that ends the term's clause ("出血血栓应该没有"), with only other
    terms and fillers between them."""
    after = re.split(r"[,，.。;；!！?？\n]", text[end : end + 24], maxsplit=1)[0]
    for s in stops:
        after = after.split(s, 1)[0]
    after = terms_rx.sub("", lower(after))
    fillers = sorted(words("negation", "cjk_following_fillers"), key=len, reverse=True)
    denials = set(words("negation", "cjk_following"))
    rest = after.strip()
    changed = True
    while changed and rest:
        changed = False
        if rest in denials:
            return True
        for filler in fillers:
            if rest.startswith(filler):
                rest, changed = rest[len(filler) :].strip(), True
                break
            if rest.endswith(filler) and rest[: -len(filler)].strip():
                rest, changed = rest[: -len(filler)].strip(), True
                break
    return rest in denials


def _cjk_mentions(text: str):
    if not is_cjk(text):
        return
    rx = _cjk_regex()
    if rx is None:
        return
    table = term_table()
    cues = sorted(words("negation", "cjk_preceding"), key=len, reverse=True)
    stops = words("negation", "cjk_termination")
    for m in rx.finditer(lower(text)):
        terms = table.get(m.group(0))
        if not terms:
            continue
        before = text[max(0, m.start() - 8) : m.start()]
        for pseudo in words("negation", "cjk_pseudo"):
            before = before.replace(pseudo, " " * len(pseudo))  # 不久前 negates nothing
        for s in stops:
            if s in before:
                before = before.rsplit(s, 1)[-1]
        negated = any(c in before for c in cues) or _denied_after(text, m.end(), rx, stops)
        first = terms[0]
        yield Mention(
            first.label, first.key, first.groups, m.group(0), m.start(), m.end(), negated, 0, len(text), terms
        )


def entries(m: Mention, label: str) -> list:
    """The Term entries of a mention with the given label."""
    return [t for t in m.terms if t.label == label]

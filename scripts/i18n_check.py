"""Which human-readable texts of a trial file still lack Chinese, and merging them in.

    .venv/bin/python scripts/i18n_check.py [TRIAL_FILE] [ZH_FILE] [--merged OUT] [--english]

The Chinese texts live in a side file (bot/trials/NCT05617859.zh.yaml) keyed
by dotted path in the trial file: ``steps.age.text.patient``,
``criteria.age.plain`` (criteria and faq entries by their ``id``),
``button_sets.yes_no`` (a list), ``steps.age.keywords.zh`` and
``steps.X.answer_words.yes.zh`` (word lists), ``glossary_aliases.NAME`` (new
aliases). The check lists every English text without Chinese (in the side
file or already in the trial file), every side-file key that matches
nothing, and values of the wrong shape; it exits 1 when any of these is
found. ``--merged OUT`` writes the trial with each Chinese text beside its
English one (``{en: ..., zh: ...}``; comments are not kept, so it is for
testing and for comparing, not for replacing the commented file).
``--english`` also lists Chinese texts that still contain English words.

Registry ``source:`` texts and ``source_ref`` stay in English (the
registry's own wording and reference); everything else a person reads is
listed here.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TRIAL_FILE = ROOT / "bot" / "trials" / "NCT05617859.yaml"
LANGUAGES = ("en", "zh")

TEXT, LABELS, WORDS = "text", "labels", "words"
# Fields of a step that a person reads, and the word lists the dialogue matches.
STEP_TEXTS = ("hint", "example", "short")
TRIAL_TEXTS = ("title", "short_title", "summary", "site", "sponsor")
CONTACT_TEXTS = ("team", "hours", "example")
CRITERION_TEXTS = ("plain", "why")
# Latin words a Chinese text may keep: drug and test names doctors in China
# write in Latin letters, units, the trial id. Compared in lower case.
ALLOWED_LATIN = {
    # scales, criteria, tests
    "ecog", "kps", "recist", "ctcae", "nci", "lvef", "ef", "qt", "qtc", "qtcf", "ecg", "ct", "mri",
    "uln", "inr", "pt", "aptt", "tsh", "ft3", "ft4", "anc", "plt", "hb", "wbc", "cr", "crcl", "tbil",
    "ast", "alt", "g", "csf", "hiv", "hbv", "hcv", "hbsag", "dna", "rna", "iu", "tki", "pd", "ups",
    "dvt", "pe", "tia", "c1d1", "cockcroft", "gault", "ⅱ",
    # units
    "mg", "kg", "ml", "l", "dl", "mmhg", "ms", "s", "h", "u", "mol", "μmol", "umol", "miu", "mm",
    # the trial
    "nct05617859",
}  # fmt: skip
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


@dataclass
class Report:
    """What the check found. ``missing``: paths with English and no Chinese; ``unmatched``: side-file
    keys that match nothing; ``wrong``: (path, problem); ``added``: new word lists and aliases."""

    texts: int = 0
    covered_by_side_file: int = 0
    covered_by_trial: int = 0
    missing: list = field(default_factory=list)
    unmatched: list = field(default_factory=list)
    wrong: list = field(default_factory=list)
    added: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unmatched or self.wrong)


def load_yaml(path: str | Path) -> Any:
    """A YAML file's data; a translation file not (or no longer) there is empty."""
    if not Path(path).exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def translations_in(trial: dict, language: str = "zh") -> dict:
    """The texts of one language already in the trial file, by dotted path (the shape of a
    translation file), e.g. after scripts/i18n_merge.py folded one in."""
    found = {}
    fields = text_fields(trial)
    for path, (kind, value) in fields.items():
        if path.endswith(".zh") and path[:-3] in fields:
            continue  # a label list seen twice (as labels and as a bilingual mapping)
        if kind == WORDS:
            if isinstance(value, dict) and value.get(language):
                found[path] = value[language]
        elif _is_localized(value) and value.get(language) is not None:
            found[path] = value[language]
    return found


def side_file(trial_path: str | Path) -> Path:
    """bot/trials/NCT05617859.yaml -> bot/trials/NCT05617859.zh.yaml"""
    trial_path = Path(trial_path)
    return trial_path.with_name(trial_path.stem + ".zh" + trial_path.suffix)


def _is_localized(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= set(LANGUAGES)


def _english(value: Any) -> Any:
    """The English side of a text: a plain value is English (the trial file's first language)."""
    if _is_localized(value):
        return value.get("en")
    return value


def _chinese(value: Any) -> Any:
    return value.get("zh") if _is_localized(value) else None


def text_fields(trial: dict) -> dict[str, tuple[str, Any]]:
    """Every human-readable text of the trial file: dotted path -> (kind, value as in the file).
    Word lists (keywords, answer words) are listed under their ``.zh`` path."""
    found: dict[str, tuple[str, Any]] = {}

    def add(path: str, kind: str, value: Any) -> None:
        if value is None or value == "" or value == []:
            return
        found[path + (".zh" if kind == WORDS else "")] = (kind, value)

    info = trial.get("trial") or {}
    for key in TRIAL_TEXTS:
        add(f"trial.{key}", TEXT, info.get(key))
    for key in CONTACT_TEXTS:
        add(f"trial.contact.{key}", TEXT, (info.get("contact") or {}).get(key))
    for role, text in (trial.get("roles") or {}).items():
        add(f"roles.{role}", TEXT, text)
    for name, labels in (trial.get("button_sets") or {}).items():
        add(f"button_sets.{name}", LABELS, labels)
    for step_id, step in (trial.get("steps") or {}).items():
        for role, text in (step.get("text") or {}).items():
            add(f"steps.{step_id}.text.{role}", TEXT, text)
        for key in STEP_TEXTS:
            add(f"steps.{step_id}.{key}", TEXT, step.get(key))
        if step.get("keywords"):
            add(f"steps.{step_id}.keywords", WORDS, step["keywords"])
        for answer, words in (step.get("answer_words") or {}).items():
            add(f"steps.{step_id}.answer_words.{answer}", WORDS, words)
    for criterion in trial.get("criteria") or []:
        for key in CRITERION_TEXTS:
            add(f"criteria.{criterion.get('id')}.{key}", TEXT, criterion.get(key))
    for term, text in (trial.get("glossary") or {}).items():
        add(f"glossary.{term}", TEXT, text)
    for fact, text in (trial.get("fact_labels") or {}).items():
        add(f"fact_labels.{fact}", TEXT, text)
    for entry in trial.get("faq") or []:
        add(f"faq.{entry.get('id')}.answer", TEXT, entry.get("answer"))
        if entry.get("keywords"):
            add(f"faq.{entry.get('id')}.keywords", WORDS, entry["keywords"])
    # Anything else someone made bilingual ({en: ...} in a place not named above).
    for path, value in _localized_anywhere(trial):
        kind = WORDS if isinstance(value.get("en", value.get("zh")), list) else TEXT
        key = path + (".zh" if kind == WORDS else "")
        if key not in found and not any(k.startswith(path + ".") for k in found):
            found[key] = (kind, value)
    return found


def _localized_anywhere(node: Any, path: str = ""):
    """(path, mapping) for every {en: ..., zh: ...} in the file; list items by their id."""
    if _is_localized(node):
        yield path, node
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _localized_anywhere(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            name = item.get("id") if isinstance(item, dict) and item.get("id") else index
            yield from _localized_anywhere(item, f"{path}.{name}")


def _additions_allowed(trial: dict, path: str, value: Any) -> str | None:
    """A side-file key for something the trial file does not have yet but may: a new word list of an
    existing step, answer words of a yes/no step, a new alias of a glossary term. None when allowed,
    else why not."""
    parts = path.split(".")
    steps = trial.get("steps") or {}
    if parts[0] == "glossary_aliases" and len(parts) == 2:
        terms = {str(t).lower() for t in trial.get("glossary") or {}}
        if not isinstance(value, str) or value.lower() not in terms:
            return f"an alias must name a glossary term ({', '.join(sorted(terms))})"
        return None
    if parts[0] == "steps" and len(parts) >= 3 and parts[1] in steps and parts[-1] == "zh":
        step = steps[parts[1]]
        if parts[2:] == ["keywords", "zh"]:
            return None
        if len(parts) == 5 and parts[2] == "answer_words" and parts[3] in ("yes", "no"):
            primary = next(iter((step.get("parse") or {}).values()), None)
            if primary != "yes_no":
                return "answer words only work on a step whose first parser is yes_no"
            return None
    return "matches nothing in the trial file"


def check(trial: dict, zh: dict) -> Report:
    report = Report()
    fields = text_fields(trial)
    for path, (kind, value) in fields.items():
        if kind == WORDS and not isinstance(value, dict):
            continue
        english = _english(value) if kind != WORDS else value.get("en")
        if english in (None, "", []):
            continue  # Chinese only: nothing to translate
        report.texts += 1
        given = zh.get(path)
        already = _chinese(value) if kind != WORDS else value.get("zh")
        if given is None:
            if already:
                report.covered_by_trial += 1
            else:
                report.missing.append(path)
            continue
        report.covered_by_side_file += 1
        problem = _shape_problem(kind, english, given)
        if problem:
            report.wrong.append((path, problem))
    for path, value in zh.items():
        if path in fields:
            continue
        problem = _additions_allowed(trial, path, value)
        if problem is None:
            report.added.append(path)
            if path.startswith("steps.") and not _is_word_list(value):
                report.wrong.append((path, "must be a non-empty list of words"))
        elif problem == "matches nothing in the trial file":
            report.unmatched.append(path)
        else:
            report.wrong.append((path, problem))
    return report


def _is_word_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(w, str) and w.strip() for w in value)


def _shape_problem(kind: str, english: Any, given: Any) -> str | None:
    if kind == TEXT:
        if not isinstance(given, str) or not given.strip():
            return "must be a non-empty text"
    elif kind == LABELS:
        if not _is_word_list(given):
            return "must be a list of labels"
        if isinstance(english, list) and len(given) != len(english):
            return f"{len(given)} labels for {len(english)} English ones (same number and order)"
    elif not _is_word_list(given):
        return "must be a non-empty list of words"
    return None


# ---------------------------------------------------------------- merging
def merged(trial: dict, zh: dict) -> dict:
    """A copy of the trial data with every Chinese text beside its English one."""
    import copy

    data = copy.deepcopy(trial)
    for path, value in zh.items():
        _put(data, path.split("."), value)
    return data


def _put(data: dict, parts: list[str], value: Any) -> None:
    if parts[0] == "glossary_aliases":
        data.setdefault("glossary_aliases", {})[parts[1]] = value
        return
    if parts[-1] == "zh":  # a word list: keywords.zh, answer_words.yes.zh
        holder = _node(data, parts[:-1], create=True)
        holder["zh"] = list(value)
        return
    parent = _node(data, parts[:-1], create=False)
    key = parts[-1]
    current = parent.get(key)
    if isinstance(current, dict) and _is_localized(current):
        current["zh"] = value
    else:
        parent[key] = {"en": current, "zh": value}


def _node(data: Any, parts: list[str], create: bool) -> Any:
    node = data
    for part in parts:
        if isinstance(node, list):
            # list items are named by id, or by index when they have none (text_fields does the same)
            named = [item for item in node if isinstance(item, dict) and str(item.get("id")) == part]
            node = named[0] if named else node[int(part)]
        elif part in node or not create:
            node = node[part]
        else:
            node = node.setdefault(part, {})
    return node


# ---------------------------------------------------------------- English left in Chinese
def english_words(text: str) -> list[str]:
    """Latin-letter words in a Chinese text that are not allowed terms (template code aside)."""
    bare = _JINJA.sub(" ", text)
    return [w for w in _LATIN_WORD.findall(bare) if w.lower() not in ALLOWED_LATIN]


def english_left(zh: dict) -> list[tuple[str, list[str]]]:
    """(path, words) for Chinese texts (not word lists or aliases) that still contain English words."""
    found = []
    for path, value in zh.items():
        if path.startswith("glossary_aliases.") or path.endswith(".zh"):
            continue
        texts = value if isinstance(value, list) else [value]
        words = [w for t in texts for w in english_words(str(t))]
        if words:
            found.append((path, words))
    return found


# ---------------------------------------------------------------- numbers
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ROMAN = str.maketrans({"Ⅰ": "1", "Ⅱ": "2", "Ⅲ": "3", "Ⅳ": "4"})  # "Ⅱ期" is phase 2


def numbers(text: str) -> set[str]:
    """The numbers a text names (template code aside), for comparing a translation with its original."""
    return set(_NUMBER.findall(_JINJA.sub(" ", text).translate(_ROMAN)))


def number_mismatches(trial: dict, zh: dict) -> list[tuple[str, list[str]]]:
    """(path, numbers) where the English text names a number the Chinese one does not: a reviewer
    should look (a changed threshold is a changed criterion; a unit left out may be intended)."""
    found = []
    for path, (kind, value) in text_fields(trial).items():
        if kind != TEXT or path not in zh:
            continue
        english = _english(value)
        if not isinstance(english, str):
            continue
        lost = sorted(numbers(english) - numbers(str(zh[path])))
        if lost:
            found.append((path, lost))
    return found


# ---------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trial", nargs="?", default=str(TRIAL_FILE), help="the trial file (English)")
    parser.add_argument("zh", nargs="?", help="the Chinese side file (default: TRIAL with .zh before .yaml)")
    parser.add_argument("--merged", metavar="OUT", help="write the trial with the Chinese merged in")
    parser.add_argument("--english", action="store_true", help="also list English words left in Chinese texts")
    args = parser.parse_args(argv)
    trial = load_yaml(args.trial)
    zh_path = Path(args.zh) if args.zh else side_file(args.trial)
    zh = load_yaml(zh_path) if zh_path.exists() else {}
    report = check(trial, zh)
    print(f"{args.trial}: {report.texts} texts with English")
    print(
        f"  Chinese in {zh_path.name}: {report.covered_by_side_file}; already in the trial file: {report.covered_by_trial}"
    )
    print(f"  new in {zh_path.name} (word lists, aliases): {len(report.added)}")
    print(f"missing Chinese: {len(report.missing)}")
    for path in report.missing:
        print(f"  {path}")
    print(f"keys in {zh_path.name} that match nothing: {len(report.unmatched)}")
    for path in report.unmatched:
        print(f"  {path}")
    print(f"wrong shape: {len(report.wrong)}")
    for path, problem in report.wrong:
        print(f"  {path}: {problem}")
    if args.english:
        left = english_left(zh)
        print(f"Chinese texts with English words: {len(left)}")
        for path, words in left:
            print(f"  {path}: {', '.join(words)}")
    mismatches = number_mismatches(trial, zh)
    print(f"numbers in the English text missing from the Chinese (review these): {len(mismatches)}")
    for path, lost in mismatches:
        print(f"  {path}: {', '.join(lost)}")
    if args.merged:
        with open(args.merged, "w", encoding="utf-8") as handle:
            yaml.safe_dump(merged(trial, zh), handle, allow_unicode=True, sort_keys=False, width=100)
        print(f"wrote {args.merged}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Answers to questions the person asks: the trial's FAQ, its glossary, "why do you ask".

All words come from the trial file (faq, glossary, glossary_aliases, each
criterion's why); this module only matches them.
"""

from __future__ import annotations

import re

from bot.dialogue.understanding import matched, normalised
from bot.texts import localized
from bot.trial import Trial

_CJK = re.compile(r"[\u3400-\u9fff]")


def _hits(text: str, keyword: str) -> bool:
    keyword = keyword.lower()
    if _CJK.search(keyword):
        return keyword in text
    return re.search(rf"(?<![A-Za-z0-9']){re.escape(keyword)}", text) is not None


def find_faq(trial: Trial, text: str) -> dict | None:
    """The FAQ entry whose keywords the question names most (keywords of every language count)."""
    lowered = normalised(text)
    best, best_score = None, 0
    for entry in trial.faq:
        words = [w for by_language in entry["keywords"].values() for w in by_language]
        score = sum(len(w) for w in words if _hits(lowered, str(w)))
        if score > best_score:
            best, best_score = entry, score
    return best


def faq_answer(entry: dict, language: str) -> str:
    return localized(entry["answer"], language, fallback="en")


def find_term(trial: Trial, text: str, entity: str | None = None) -> str | None:
    """The glossary term the message asks about: a recognised entity, else the longest term named."""
    lowered = normalised(text)
    candidates = [entity.lower()] if entity else []
    names = list(trial.glossary) + list(trial.glossary_aliases)
    candidates += sorted((t for t in names if _hits(lowered, t)), key=len, reverse=True)
    for candidate in candidates:
        if trial.glossary_entry(candidate) is not None:
            return trial.glossary_aliases.get(candidate, candidate)
    return None


def asks_medical_advice(text: str) -> bool:
    return matched(text, "medical_advice") is not None

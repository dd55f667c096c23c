"""Language-keyed texts: picking a text in the person's language, and the phrase lists
the dialogue recognises (bot/data/phrases.yaml).

A human-readable text in a data file is either a mapping ``{en: ..., zh: ...}``
or, for a file that exists in one language only, a plain string (its
language is the file's first declared language). Code never holds the words.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
PHRASES_FILE = Path(__file__).parent / "data" / "phrases.yaml"


class MissingText(KeyError):
    """A text has no version in the language asked for."""


def is_localized(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= set(LANGUAGES)


def localized(value: Any, language: str, *, fallback: str | None = None) -> str:
    """The text in ``language``. ``fallback`` names a language to use when that one is missing
    (for data written in one language only); without it a missing language is an error."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if is_localized(value):
        if value.get(language) is not None:
            return value[language]
        if fallback is not None and value.get(fallback) is not None:
            return value[fallback]
        raise MissingText(f"no {language!r} text in {sorted(value)}")
    return str(value)


def resolve(value: Any, language: str) -> Any:
    """Template values: language mappings inside become text, everything else is kept."""
    if is_localized(value):
        return localized(value, language, fallback=DEFAULT_LANGUAGE)
    if isinstance(value, dict):
        return {k: resolve(v, language) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(v, language) for v in value]
    return value


@functools.lru_cache(maxsize=2)
def _phrases(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    for name, by_language in data.items():
        if not isinstance(by_language, dict) or not set(by_language) <= set(LANGUAGES):
            raise ValueError(f"{path}: {name}: must map languages ({', '.join(LANGUAGES)}) to lists of phrases")
        for language, items in by_language.items():
            odd = [item for item in items or [] if not isinstance(item, str)]
            if odd:  # YAML reads a bare yes, no or on as true/false
                raise ValueError(f"{path}: {name}.{language}: quote {odd!r} (YAML read it as {type(odd[0]).__name__})")
    return data


def phrases(name: str, language: str | None = None) -> tuple[str, ...]:
    """Lower-cased phrases of one list, in one language or (None) in all: people mix them."""
    data = _phrases(str(os.environ.get("PHRASES_FILE") or PHRASES_FILE))
    by_language = data[name]
    languages = [language] if language else list(by_language)
    return tuple(str(p).lower() for lang in languages for p in by_language.get(lang) or [])

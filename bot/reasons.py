"""Why a criterion got its verdict, as data staff can read in any language.

A rule never writes English: it returns a ``Reason`` (a template key and its
parameters) and the text is rendered when someone reads it, in their language.
Templates live in ``bot/data/reasons.yaml`` as ``key: {en: "Jinja2 template",
zh: "..."}``; a language missing for a key falls back to English.

Parameters are plain JSON data. Three kinds are rendered specially:

* a language mapping ``{"en": "heart attack", "zh": "心梗"}`` (a trial label)
  becomes the text of the requested language (English when that one is
  missing); a plain string is used as it is;
* a nested reason ``{"key": ..., "params": {...}}`` is rendered with the same
  language (``Reason.to_dict()`` gives that shape);
* a list of such values is rendered item by item.

Filters available in templates: ``num`` (a number without float noise:
``1.50`` -> ``1.5``, ``0.6612`` -> ``0.66``), ``quote`` (a verbatim answer,
shortened and put in quotation marks of the language), ``term`` (a lexicon
key or code such as ``locally_advanced`` as a name in the language) and
``join`` (Jinja's).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

REASONS_FILE = Path(__file__).parent / "data" / "reasons.yaml"
LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
QUOTE_MAX_CHARS = 120
_QUOTES = {"en": ("\u201c", "\u201d"), "zh": ("\u201c", "\u201d")}


class ReasonsFileError(ValueError):
    """reasons.yaml is malformed: an unknown language, a template that does not compile."""


@dataclass(frozen=True)
class Reason:
    """A template key and its JSON-serialisable parameters."""

    key: str
    params: dict = field(default_factory=dict)

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The reason in ``language`` ("en" or "zh"); ValueError for any other."""
        # Kept on the instance (not a field: equality and to_dict ignore it).
        texts = self.__dict__.setdefault("_texts", {})
        if language not in texts:
            texts[language] = render(self.key, self.params, language)
        return texts[language]

    def to_dict(self) -> dict:
        return {"key": self.key, "params": self.params}


def _number(value: Any, digits: int = 2) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{round(float(value), digits):g}"


def _quote_filter(language: str):
    def quote(value: Any) -> str:
        text = " ".join(str(value or "").split())
        cut = text[:QUOTE_MAX_CHARS] + ("\u2026" if len(text) > QUOTE_MAX_CHARS else "")
        opening, closing = _QUOTES.get(language, _QUOTES[DEFAULT_LANGUAGE])
        return f"{opening}{cut}{closing}"

    return quote


_CJK = re.compile(r"[\u3400-\u9fff]")


def _term_filter(language: str):
    """A lexicon key or code ("locally_advanced", "warfarin", "grade") as a name
    in ``language``: bot/describe.py's term names (bot/data/describe/<lang>.yaml,
    then the lexicon's spellings in that script); otherwise the key with spaces."""

    def term(value: Any) -> str:
        text = "" if value is None else str(value)
        if language == DEFAULT_LANGUAGE:
            return text.replace("_", " ")
        from bot.describe import term_name  # describe renders reasons too: import when used

        name = term_name(text, language)
        return name if _CJK.search(name) else text.replace("_", " ")

    return term


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> jinja2.Environment:
    # Plain text for staff pages, exports and chat (each escapes as it shows it).
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters["num"] = _number
    env.filters["quote"] = _quote_filter(language)
    env.filters["term"] = _term_filter(language)
    return env


_DEFAULT_PATH = str(REASONS_FILE)


def _reasons_path() -> str:
    return os.environ.get("REASONS_FILE") or _DEFAULT_PATH


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    """key -> {language: compiled template}, checked: known languages, templates compile."""
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    if not isinstance(raw, dict):
        raise ReasonsFileError(f"{path}: must map reason keys to {{en: template}}")
    templates: dict = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or DEFAULT_LANGUAGE not in entry:
            raise ReasonsFileError(f"{path}: {key}: needs an '{DEFAULT_LANGUAGE}' template")
        templates[key] = {}
        for language, source in entry.items():
            if language not in LANGUAGES:
                raise ReasonsFileError(f"{path}: {key}: unknown language {language!r}; known: {', '.join(LANGUAGES)}")
            if not isinstance(source, str):
                raise ReasonsFileError(f"{path}: {key}.{language}: must be text")
            try:
                templates[key][language] = _environment(language).from_string(source)
            except jinja2.TemplateSyntaxError as error:
                raise ReasonsFileError(f"{path}: {key}.{language}: {error.message}") from None
    return templates


def templates() -> dict:
    """Every reason key with its compiled templates (loaded once per file)."""
    return _load(_reasons_path())


def is_language_mapping(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= set(LANGUAGES)


def _is_reason(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"key", "params"} and isinstance(value["key"], str)


def resolve(value: Any, language: str) -> Any:
    """A parameter as the template sees it: labels in ``language``, nested reasons rendered."""
    if isinstance(value, Reason):
        return value.text(language)
    if _is_reason(value):
        return render(value["key"], value["params"], language)
    if is_language_mapping(value):
        return value.get(language) or value.get(DEFAULT_LANGUAGE) or next(iter(value.values()))
    if isinstance(value, (list, tuple)):
        return [resolve(item, language) for item in value]
    return value


def render(key: str, params: dict, language: str = DEFAULT_LANGUAGE) -> str:
    """The text of reason ``key`` with ``params`` in ``language``.

    A missing key or a template that cannot be filled raises KeyError or
    jinja2's UndefinedError: the tests render every reason the rules give, so
    a mistake shows there and never reaches staff as a half-filled sentence.
    Rendered texts are remembered: every turn re-scores every criterion, and
    most reasons are the same as the turn before.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    try:
        frozen = json.dumps(params or {}, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return _render(key, params, language)
    return _remembered(key, frozen, language, _reasons_path())


@lru_cache(maxsize=8192)
def _remembered(key: str, frozen: str, language: str, path: str) -> str:
    return _render(key, json.loads(frozen), language)


def _render(key: str, params: dict, language: str) -> str:
    entry = templates()[key]
    template = entry.get(language) or entry[DEFAULT_LANGUAGE]
    values = {name: resolve(value, language) for name, value in (params or {}).items()}
    return " ".join(template.render(**values).split())


def entry_text(entry: Any, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The reason of a stored verdict or review item (a mapping with ``reason``
    and, when saved since M008, ``reason_key`` and ``reason_params``) in
    ``language``. Without a key, with an unknown key or unknown language, or
    when the template cannot be filled, it is the stored English sentence:
    staff always read something, never an error."""
    if not isinstance(entry, dict):
        return entry
    english = entry.get("reason")
    key = entry.get("reason_key")
    if not key or language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return english
    params = entry.get("reason_params") or {}
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except ValueError:
            return english
    try:
        if key not in templates():
            return english
        return render(key, params, language)
    except (KeyError, TypeError, ValueError, jinja2.TemplateError):
        # a reason stored under an older template set: show what was stored
        return english

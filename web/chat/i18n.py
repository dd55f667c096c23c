"""The chat page's texts, from data files keyed by language.

``web/chat/i18n/<language>.yaml`` holds every text of the patient page (the
template's and the ones chat.js puts in); nothing is a literal in the template
or the script. Both files have the same keys (tests/test_chat_page.py). The
``js.*`` texts go to the script in a data attribute of the page.

The page's language: ``?lang=`` (the 中文 / English links, kept in a cookie),
else that cookie, else the browser's Accept-Language (zh* gives zh, anything
else en).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

I18N_DIR = Path(__file__).parent / "i18n"
LANGUAGES = ("zh", "en")
DEFAULT = "en"
COOKIE = "chat_language"


def _flatten(node: Mapping, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for key, value in node.items():
        if isinstance(value, Mapping):
            _flatten(value, f"{prefix}{key}.", out)
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


@lru_cache(maxsize=4)
def texts(language: str) -> dict[str, str]:
    """Every text of one language, by dotted key ("chat.send")."""
    language = language if language in LANGUAGES else DEFAULT
    with open(I18N_DIR / f"{language}.yaml", encoding="utf-8") as fh:
        return _flatten(yaml.safe_load(fh) or {})


def text(language: str, key: str, **params) -> str:
    """One text, its {placeholders} filled in (a missing key is a bug: KeyError)."""
    value = texts(language)[key]
    return value.format(**params) if params else value


def script_texts(language: str) -> dict[str, str]:
    return {key[3:]: value for key, value in texts(language).items() if key.startswith("js.")}


def from_accept_language(header: str | None) -> str:
    """zh, zh-CN, zh-Hans-CN ... first among the accepted languages gives zh; else en."""
    best, best_q = DEFAULT, -1.0
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0]
        language = primary if primary in LANGUAGES else (DEFAULT if tag != "*" else None)
        if language and q > best_q and q > 0:
            best, best_q = language, q
        if position > 50:
            break
    return best


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for asked in (query, cookie):
        if asked in LANGUAGES:
            return asked
    return from_accept_language(accept_language)

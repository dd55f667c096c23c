"""The dashboard's texts, from data files keyed by language.

``web/staff/i18n/<language>.yaml`` holds every text staff read on the
dashboard (labels, headings, buttons, status names, messages); nothing is a
literal in a template or in the code. Adding a language is adding a file:
a key that file lacks is taken from ``en.yaml``. Keys are dotted paths
("leads.title"); ``{name}`` placeholders are filled in by the code; a key
with ``one``/``other`` children is chosen by a count (:meth:`Texts.n`).

The language of a page is the staff account's preference (``staff_users.
language``, settable from the command line and the account page); before
login, ``STAFF_LANGUAGE`` (default ``en``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

I18N_DIR = Path(__file__).parent / "i18n"
DEFAULT = "en"
_CODE = re.compile(r"^[a-z]{2,3}$")


def _flatten(node: Mapping, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, name + ".", out)
        else:
            out[name] = value
    return out


@lru_cache(maxsize=8)
def _file(language: str) -> dict:
    path = I18N_DIR / f"{language}.yaml"
    if not _CODE.match(language) or not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return {k: v for k, v in _flatten(data).items() if isinstance(v, str)} if isinstance(data, Mapping) else {}


def catalog(language: str) -> dict:
    """Every key of the language, English where it has none."""
    merged = dict(_file(DEFAULT))
    if language != DEFAULT:
        merged.update(_file(language))
    return merged


def languages() -> list[str]:
    """The languages that have a file, English first."""
    found = sorted(p.stem for p in I18N_DIR.glob("*.yaml") if _CODE.match(p.stem))
    return sorted(found, key=lambda code: code != DEFAULT)


def default_language() -> str:
    value = (os.environ.get("STAFF_LANGUAGE") or DEFAULT).strip().lower()
    return value if value in languages() else DEFAULT


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Texts:
    """The texts of one language: ``t("key", name=...)``, ``t.n("key", count)``."""

    def __init__(self, language: str = DEFAULT):
        self.language = language if language in languages() else DEFAULT
        self._texts = catalog(self.language)

    def has(self, key: str) -> bool:
        return key in self._texts

    def __call__(self, key: str, **values: Any) -> str:
        text = self._texts.get(key)
        if text is None:
            return key  # a missing key shows itself (tests check that none is missing)
        return text.format_map(_Blank(values)) if values else text

    def n(self, key: str, count: int, **values: Any) -> str:
        """The ``one`` or ``other`` form for ``count`` (``{n}`` is the count)."""
        form = f"{key}.one" if count == 1 and f"{key}.one" in self._texts else f"{key}.other"
        return self(form, n=count, **values)

    def choice(self, group: str, value: Any, default: str = "") -> str:
        """The label of a code ("follow_up.status.call_back"); the code itself if unknown."""
        key = f"{group}.{value}"
        return self(key) if key in self._texts else (default or str(value or ""))

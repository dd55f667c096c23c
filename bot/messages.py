"""What the assistant says outside the criterion questions, from bot/data/messages.yaml.

Every message is a Jinja2 template per language (``key: {en: ..., zh: ...}``).
Templates see ``trial`` (title, site, contact.* in the person's language),
``role``, ``language`` and the values the caller names; values that are
language mappings are resolved to the person's language first.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import jinja2
import yaml

from bot.texts import DEFAULT_LANGUAGE, LANGUAGES, localized, resolve
from bot.trial import Trial

MESSAGES_FILE = Path(__file__).parent / "data" / "messages.yaml"
# Chat text is plain text (the widget shows it as text), so no HTML escaping here;
# StrictUndefined turns a typo in a template into an error in the tests.
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
_SPACES = re.compile(r"[ \t]+")


class MessagesFileError(ValueError):
    """messages.yaml is malformed (a key without a text per language)."""


@lru_cache(maxsize=2)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    for key, value in data.items():
        if not isinstance(value, dict) or not value or not set(value) <= set(LANGUAGES):
            raise MessagesFileError(f"{path}: {key}: must map languages ({', '.join(LANGUAGES)}) to a text or a list")
    return data


def messages() -> dict:
    return _load(str(os.environ.get("MESSAGES_FILE") or MESSAGES_FILE))


@lru_cache(maxsize=512)
def _compiled(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def _tidy(text: str) -> str:
    """YAML folding leaves runs of spaces; keep the line breaks a template makes on purpose."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def render(name: str, trial: Trial, role: str | None = None, language: str = DEFAULT_LANGUAGE, **values) -> str:
    template = localized(messages()[name], language, fallback=DEFAULT_LANGUAGE)
    trial_context = trial.context(language)
    context = {
        "trial": trial_context,
        "reach": _reach(trial_context, language),
        "role": role or "patient",
        "language": language,
        "retention_days": int(os.environ.get("RETENTION_DAYS") or trial.info.get("retention_days", 365)),
        **{key: resolve(value, language) for key, value in values.items()},
    }
    return _tidy(_compiled(template).render(**context))


def reach(trial_context: dict, language: str) -> str:
    """How to reach the study team, in words (for pages that show it)."""
    return _reach(trial_context, language)


def _reach(trial_context: dict, language: str) -> str:
    """How to reach the study team, in words (only the contact fields that are configured)."""
    source = localized(messages()["contact_line"], language, fallback=DEFAULT_LANGUAGE)
    return " ".join(_compiled(source).render(trial=trial_context).split())


def choices(name: str, language: str = DEFAULT_LANGUAGE) -> list:
    return list(localized(messages()[name], language, fallback=DEFAULT_LANGUAGE))

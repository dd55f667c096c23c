"""What the assistant says outside the criterion questions, from bot/data/messages.yaml."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import jinja2
import yaml

from bot.trial import Trial

MESSAGES_FILE = Path(__file__).parent / "data" / "messages.yaml"
# Chat text is plain text (the widget shows it as text), so no HTML escaping here;
# StrictUndefined turns a typo in a template into an error in the tests.
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=2)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def messages() -> dict:
    return _load(str(os.environ.get("MESSAGES_FILE") or MESSAGES_FILE))


@lru_cache(maxsize=256)
def _compiled(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def render(name: str, trial: Trial, role: str | None = None, **values) -> str:
    template = messages()[name]
    context = {
        "trial": {**trial.info, "contact": trial.contact},
        "role": role or "patient",
        "retention_days": int(os.environ.get("RETENTION_DAYS") or trial.info.get("retention_days", 365)),
        **values,
    }
    text = _compiled(template).render(**context)
    return " ".join(text.split())


def choices(name: str) -> list:
    return list(messages()[name])

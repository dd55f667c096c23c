"""The small condition language of the trial file (ask_if, relaxed limits).

    {fact: PATH, eq: V} {fact: PATH, ne: V} {fact: PATH, in: [..]}
    {fact: PATH, lt|le|gt|ge: N} {fact: PATH, known: true|false}
    {fact: PATH, empty: true|false} {role: [..]} {all: [..]} {any: [..]} {not: {..}}

PATH is a fact name followed by keys into the fact's value ("ecog.ecog").
A condition is data, so it is checked when the trial file loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

COMPARISONS = ("eq", "ne", "in", "lt", "le", "gt", "ge", "known", "empty")
MISSING = object()

Lookup = Callable[[str], Any]  # returns MISSING when the fact is unknown


def problems(condition: Any) -> Iterator[str]:
    """Describe what is wrong with a condition (nothing when it is fine)."""
    if not isinstance(condition, dict) or not condition:
        yield "a condition must be a non-empty mapping"
        return
    if "all" in condition or "any" in condition:
        key = "all" if "all" in condition else "any"
        if not isinstance(condition[key], list) or not condition[key]:
            yield f"{key}: must be a non-empty list of conditions"
            return
        for item in condition[key]:
            yield from problems(item)
        return
    if "not" in condition:
        yield from problems(condition["not"])
        return
    if "role" in condition:
        if not isinstance(condition["role"], list):
            yield "role: must be a list of roles"
        return
    if not isinstance(condition.get("fact"), str):
        yield "needs 'fact' (a fact name), 'role', 'all', 'any' or 'not'"
        return
    operators = [key for key in condition if key != "fact"]
    if len(operators) != 1 or operators[0] not in COMPARISONS:
        yield f"needs exactly one of {', '.join(COMPARISONS)}"
    elif operators[0] == "in" and not isinstance(condition["in"], list):
        yield "in: must be a list"


def holds(condition: dict, lookup: Lookup, role: str | None = None) -> bool:
    """Evaluate a condition against known facts; unknown facts never match (except known: false)."""
    if "all" in condition:
        return all(holds(item, lookup, role) for item in condition["all"])
    if "any" in condition:
        return any(holds(item, lookup, role) for item in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], lookup, role)
    if "role" in condition:
        return role in condition["role"]
    value = lookup(condition["fact"])
    operator, expected = next((k, v) for k, v in condition.items() if k != "fact")
    if operator == "known":
        return (value is not MISSING and value is not None) == bool(expected)
    if operator == "empty":
        is_empty = value is MISSING or value is None or value == [] or value == {}
        return is_empty == bool(expected)
    if operator == "ne":
        return value is MISSING or value != expected
    if value is MISSING or value is None:
        return False
    if operator == "eq":
        return value == expected
    if operator == "in":
        return value in expected
    try:
        return {"lt": value < expected, "le": value <= expected, "gt": value > expected, "ge": value >= expected}[
            operator
        ]
    except TypeError:
        return False


def resolve(path: str, facts: dict, flags: dict) -> Any:
    """Find PATH among the facts (their parsed values) or the derived flags."""
    name, *keys = path.split(".")
    if name in facts:
        value = facts[name].get("value")
    elif name in flags:
        value = flags[name]
    else:
        return MISSING
    for key in keys:
        if isinstance(value, dict):
            value = value.get(key, MISSING)
        elif key == "answer" and isinstance(value, str):
            continue  # a plain yes/no fact is its own answer
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


def facts_in(condition: dict) -> Iterator[str]:
    """The fact names a condition reads ("can_become_pregnant" for "can_become_pregnant.answer")."""
    for key in ("all", "any"):
        for item in condition.get(key, ()):
            yield from facts_in(item)
    if "not" in condition:
        yield from facts_in(condition["not"])
    if isinstance(condition.get("fact"), str):
        yield condition["fact"].split(".")[0]


def split_path(path: str) -> tuple[str, list]:
    name, *keys = path.split(".")
    return name, keys

"""Load and validate a trial definition file (YAML).

The trial is data: criteria, their source text, the questions per audience and
the parameters of each rule. This module turns the file into typed objects and
refuses a broken file with a message naming the field and the line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import conditions

DEFAULT_TRIAL_FILE = Path(__file__).parent / "trials" / "NCT05617859.yaml"
ROLES = ("patient", "caregiver", "physician")
KINDS = ("inclusion", "exclusion")


class TrialFileError(ValueError):
    """The trial file is malformed; the message names the field and line."""


@dataclass(frozen=True)
class Step:
    """One question, possibly filling several facts from one answer."""

    id: str
    parse: dict  # fact name -> parser name; the first fact is the primary one
    text: dict  # role -> question
    hint: str
    example: str
    roles: tuple
    ask_if: dict | None = None
    buttons: tuple = ()
    expects: tuple = ()  # for lab steps: analytes the question asks for
    # {answer: A, facts: {fact: value}}: answering A settles all these facts at once
    # (a physician's "none of these apply").
    fills_when: dict | None = None

    @property
    def primary_fact(self) -> str:
        return next(iter(self.parse))

    def question_for(self, role: str) -> str:
        # Caregivers get the patient wording where no third-person text exists.
        return self.text.get(role) or self.text.get("patient") or next(iter(self.text.values()))


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: str
    source_ref: str
    source: str
    plain: str
    why: str
    steps: tuple
    rule: dict
    settled_by: tuple = ROLES
    knockout: bool = False


@dataclass(frozen=True)
class Trial:
    id: str
    title: str
    info: dict
    roles: dict
    steps: dict  # id -> Step, in file order
    criteria: tuple  # Criterion, in asking order
    glossary: dict
    button_sets: dict
    path: str = ""
    criterion_of_step: dict = field(default_factory=dict)
    # How a pasted case summary fills this trial's facts (bot/parsing/summary.py).
    summary: dict = field(default_factory=dict)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    @property
    def contact(self) -> dict:
        contact = dict(self.info.get("contact") or {})
        contact["phone"] = os.environ.get("TRIAL_CONTACT_PHONE", contact.get("phone", ""))
        contact["email"] = os.environ.get("TRIAL_CONTACT_EMAIL", contact.get("email", ""))
        return contact

    def unset_contact_fields(self) -> list:
        """Contact fields still empty or a "(set ...)" placeholder: people would see it."""
        return [
            key
            for key in ("phone", "email")
            if not self.contact.get(key, "").strip() or self.contact[key].strip().startswith("(set ")
        ]

    @property
    def guardian_age(self) -> int:
        return int(self.info.get("guardian_required_below_age", 0))


def _line_map(node: yaml.Node, path: tuple = (), lines: dict | None = None) -> dict:
    """Map every path in the document (tuple of keys/indexes) to its line (1-based)."""
    lines = {} if lines is None else lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _line_map(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, path + (index,), lines)
    return lines


class _Checker:
    """Collects validation errors with the line of the offending field."""

    def __init__(self, path: str, lines: dict):
        self.path, self.lines, self.errors = path, lines, []

    def fail(self, where: tuple, message: str) -> None:
        line = None
        for cut in range(len(where), -1, -1):
            line = self.lines.get(tuple(where[:cut]))
            if line:
                break
        field_name = ".".join(str(part) for part in where) or "(top level)"
        self.errors.append(f"{self.path}:{line or '?'}: {field_name}: {message}")

    def need(self, mapping: Any, key: str, where: tuple, kind: type = str) -> Any:
        if not isinstance(mapping, dict) or key not in mapping:
            self.fail(where + (key,), "missing")
            return None
        value = mapping[key]
        if not isinstance(value, kind) or (kind is str and not value.strip()):
            self.fail(where + (key,), f"must be a non-empty {kind.__name__}")
            return None
        return value


def load_trial(path: str | os.PathLike | None = None) -> Trial:
    """Read and validate a trial file; raise TrialFileError naming field and line."""
    path = Path(path or os.environ.get("TRIAL_FILE") or DEFAULT_TRIAL_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TrialFileError(f"{path}: cannot read the trial file ({error.strerror})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        problem = getattr(error, "problem", None) or str(error)
        raise TrialFileError(f"{path}:{line}: not valid YAML: {problem}") from None
    if not isinstance(data, dict) or node is None:
        raise TrialFileError(f"{path}:1: the trial file must be a mapping with trial, steps and criteria")
    check = _Checker(str(path), _line_map(node))
    trial = _build(data, check, str(path))
    if check.errors:
        raise TrialFileError("invalid trial file:\n  " + "\n  ".join(check.errors))
    return trial


@lru_cache(maxsize=4)
def _cached(path: str) -> Trial:
    return load_trial(path)


def get_trial() -> Trial:
    """The configured trial, loaded once per process."""
    return _cached(str(os.environ.get("TRIAL_FILE") or DEFAULT_TRIAL_FILE))


def _build(data: dict, check: _Checker, path: str) -> Trial | None:
    from bot.parsing.registry import PARSERS  # late: parsers load spaCy lazily

    info = check.need(data, "trial", (), dict) or {}
    trial_id = check.need(info, "id", ("trial",))
    title = check.need(info, "title", ("trial",))
    contact = check.need(info, "contact", ("trial",), dict) or {}
    for key in ("team", "phone"):
        check.need(contact, key, ("trial", "contact"))
    roles = check.need(data, "roles", (), dict) or {}
    for role in roles:
        if role not in ROLES:
            check.fail(("roles", role), f"unknown role; use {', '.join(ROLES)}")
    button_sets = data.get("button_sets") or {}
    if not isinstance(button_sets, dict):
        check.fail(("button_sets",), "must be a mapping of name -> list of labels")
        button_sets = {}
    for name, labels in button_sets.items():
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            check.fail(("button_sets", name), "must be a list of quoted labels (YAML reads a bare Yes as true)")
    glossary = data.get("glossary") or {}
    if not isinstance(glossary, dict) or not all(isinstance(v, str) for v in glossary.values()):
        check.fail(("glossary",), "must map terms to explanations (text)")
        glossary = {}

    steps: dict = {}
    raw_steps = check.need(data, "steps", (), dict) or {}
    for step_id, raw in raw_steps.items():
        where = ("steps", step_id)
        if not isinstance(raw, dict):
            check.fail(where, "must be a mapping")
            continue
        parse = check.need(raw, "parse", where, dict) or {}
        for fact, parser in parse.items():
            if parser not in PARSERS:
                from bot.parsing.registry import FAMILIES

                known = ", ".join(sorted(PARSERS)) + "; with an argument: " + ", ".join(f"{f}:..." for f in FAMILIES)
                check.fail(where + ("parse", fact), f"unknown parser {parser!r}; known: {known}")
        step_roles = tuple(raw.get("roles") or roles or ROLES)
        for role in step_roles:
            if role not in ROLES:
                check.fail(where + ("roles",), f"unknown role {role!r}")
        text = check.need(raw, "text", where, dict) or {}
        for role in step_roles:
            if role != "caregiver" and role not in text:
                check.fail(where + ("text",), f"no question for role {role!r}")
        for role, question in text.items():
            if not isinstance(question, str) or not question.strip():
                check.fail(where + ("text", role), "must be a non-empty question")
        hint = check.need(raw, "hint", where)
        example = check.need(raw, "example", where)
        buttons = raw.get("buttons")
        if buttons is not None and buttons not in button_sets:
            check.fail(where + ("buttons",), f"unknown button set {buttons!r}")
        ask_if = raw.get("ask_if")
        if ask_if is not None:
            for problem in conditions.problems(ask_if):
                check.fail(where + ("ask_if",), problem)
        expects = raw.get("expects") or ()
        if not isinstance(expects, list) and expects != ():
            check.fail(where + ("expects",), "must be a list of analytes")
            expects = ()
        fills_when = raw.get("fills_when")
        if fills_when is not None and (
            not isinstance(fills_when, dict)
            or "answer" not in fills_when
            or not isinstance(fills_when.get("facts"), dict)
        ):
            check.fail(where + ("fills_when",), "must be {answer: ..., facts: {fact: value}}")
            fills_when = None
        steps[step_id] = Step(
            id=step_id,
            parse=dict(parse),
            text=dict(text),
            hint=hint or "",
            example=str(example or ""),
            roles=step_roles,
            ask_if=ask_if,
            buttons=tuple(button_sets.get(buttons, ()) if buttons else ()),
            expects=tuple(expects),
            fills_when=fills_when,
        )

    known_facts = {fact for step in steps.values() for fact in step.parse}
    for step in steps.values():
        for fact in (step.fills_when or {}).get("facts", {}):
            if fact not in known_facts:
                check.fail(("steps", step.id, "fills_when", "facts", fact), "no step asks for this fact")

    criteria = []
    seen: dict = {}
    criterion_of_step: dict = {}
    raw_criteria = check.need(data, "criteria", (), list) or []
    for index, raw in enumerate(raw_criteria):
        where = ("criteria", index)
        if not isinstance(raw, dict):
            check.fail(where, "must be a mapping")
            continue
        cid = check.need(raw, "id", where)
        if cid in seen:
            check.fail(where + ("id",), f"duplicate criterion id {cid!r} (first at index {seen[cid]})")
        seen[cid] = index
        kind = check.need(raw, "kind", where)
        if kind and kind not in KINDS:
            check.fail(where + ("kind",), f"must be one of {', '.join(KINDS)}")
        for key in ("source_ref", "source", "plain", "why"):
            check.need(raw, key, where)
        step_ids = check.need(raw, "steps", where, list) or []
        for position, step_id in enumerate(step_ids):
            if step_id not in steps:
                check.fail(where + ("steps", position), f"unknown step {step_id!r}")
            elif step_id in criterion_of_step:
                check.fail(
                    where + ("steps", position), f"step {step_id!r} already belongs to {criterion_of_step[step_id]!r}"
                )
            else:
                criterion_of_step[step_id] = cid
        settled_by = tuple(raw.get("settled_by") or ROLES)
        for role in settled_by:
            if role not in ROLES:
                check.fail(where + ("settled_by",), f"unknown role {role!r}")
        rule = check.need(raw, "rule", where, dict) or {}
        _check_rule(rule, where + ("rule",), check)
        criteria.append(
            Criterion(
                id=cid or "",
                kind=kind or "",
                source_ref=raw.get("source_ref", ""),
                source=raw.get("source", ""),
                plain=raw.get("plain", ""),
                why=raw.get("why", ""),
                steps=tuple(step_ids),
                rule=rule,
                settled_by=settled_by,
                knockout=bool(raw.get("knockout", False)),
            )
        )
    summary = _summary_mapping(data.get("summary"), check, known_facts)
    if check.errors:
        return None
    return Trial(
        id=trial_id,
        title=title,
        info=info,
        roles=roles,
        steps=steps,
        criteria=tuple(criteria),
        glossary={k.lower(): v for k, v in glossary.items()},
        button_sets=button_sets,
        path=path,
        criterion_of_step=criterion_of_step,
        summary=summary,
    )


def _summary_mapping(raw: Any, check: _Checker, known_facts: set) -> dict:
    """The ``summary:`` section: which finding of a pasted summary fills which fact.

    ``facts``: finding -> fact (``labs: true`` files lab values under their
    analytes); ``drug_classes``: fact -> drug classes; ``progression_fact``;
    ``ignore_drugs``; ``events``: fact -> lexicon event groups (dated events).
    Every fact must be one a step asks for.
    """
    from bot.parsing.summary import SOURCES

    if raw is None:
        return {}
    where = ("summary",)
    if not isinstance(raw, dict):
        check.fail(where, "must be a mapping with facts, drug_classes, progression_fact, ignore_drugs")
        return {}
    allowed = {"facts", "drug_classes", "progression_fact", "ignore_drugs", "events"}
    for key in raw:
        if key not in allowed:
            check.fail(where + (key,), f"unknown key; known: {', '.join(sorted(allowed))}")
    facts = raw.get("facts") or {}
    if not isinstance(facts, dict):
        check.fail(where + ("facts",), "must map findings to fact names")
        facts = {}
    for source, fact in facts.items():
        if source not in SOURCES:
            check.fail(where + ("facts", source), f"unknown finding; known: {', '.join(SOURCES)}")
        elif source == "labs":
            if not isinstance(fact, bool):
                check.fail(where + ("facts", source), "must be true or false (lab values keep their analyte names)")
        elif not isinstance(fact, str) or fact not in known_facts:
            check.fail(where + ("facts", source), f"no step asks for the fact {fact!r}")
    classes = raw.get("drug_classes") or {}
    if not isinstance(classes, dict):
        check.fail(where + ("drug_classes",), "must map fact names to lists of drug classes")
        classes = {}
    for fact, names in classes.items():
        if fact not in known_facts:
            check.fail(where + ("drug_classes", fact), "no step asks for this fact")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            check.fail(where + ("drug_classes", fact), "must be a list of drug classes")
    progression = raw.get("progression_fact")
    if progression is not None and progression not in classes:
        check.fail(where + ("progression_fact",), "must be one of the drug_classes facts")
    from bot.parsing.nlp import lexicon

    event_groups = set(lexicon().get("events") or {})
    dated = raw.get("events") or {}
    if not isinstance(dated, dict):
        check.fail(where + ("events",), "must map fact names to lists of lexicon event groups")
        dated = {}
    for fact, groups in dated.items():
        if fact not in known_facts:
            check.fail(where + ("events", fact), "no step asks for this fact")
        if not isinstance(groups, list) or not all(g in event_groups for g in groups):
            check.fail(
                where + ("events", fact), f"must be a list of event groups; known: {', '.join(sorted(event_groups))}"
            )
    ignore = raw.get("ignore_drugs") or []
    if not isinstance(ignore, list) or not all(isinstance(n, str) for n in ignore):
        check.fail(where + ("ignore_drugs",), "must be a list of medicine names")
    return {k: v for k, v in raw.items() if k in allowed}


def _check_rule(rule: dict, where: tuple, check: _Checker) -> None:
    """Every parameter of a rule (and of its parts) is one its type declares, with the right type."""
    from bot.rules import rule_problems

    for problem_where, problem in rule_problems(rule):
        check.fail(where + tuple(problem_where), problem)

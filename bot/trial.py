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
from bot.texts import DEFAULT_LANGUAGE, LANGUAGES, is_localized, localized

DEFAULT_TRIAL_FILE = Path(__file__).parent / "trials" / "NCT05617859.yaml"
ROLES = ("patient", "caregiver", "physician")
KINDS = ("inclusion", "exclusion")


TOP_LEVEL_KEYS = frozenset(
    {
        "languages",
        "trial",
        "roles",
        "button_sets",
        "steps",
        "criteria",
        "glossary",
        "glossary_aliases",
        "fact_labels",
        "faq",
        "summary",
    }
)
TRIAL_KEYS = frozenset(
    {
        "id",
        "title",
        "short_title",
        "sponsor",
        "phase",
        "site",
        "summary",
        "contact",
        "guardian_required_below_age",
        "adult_age",
        "retention_days",
    }
)
STEP_KEYS = frozenset(
    {
        "roles",
        "parse",
        "text",
        "hint",
        "example",
        "buttons",
        "buttons_minor",
        "buttons_roles",
        "ask_if",
        "expects",
        "fills_when",
        "group",
        "keywords",
        "short",
        "answer_words",
    }
)
CRITERION_KEYS = frozenset(
    {"id", "name", "kind", "source_ref", "source", "plain", "why", "steps", "rule", "settled_by", "knockout"}
)
# The contact fields message templates may name; a trial file may leave out any but
# team and phone (an absent one is empty, as an unconfigured one is; phone_region,
# below, is required too but is not shown). ``example`` is
# a made-up reply with a name, a phone number and a time, and ``phone_example`` a
# made-up phone number, both as people at the site write them.
CONTACT_FIELDS = ("team", "phone", "email", "hours", "example", "phone_example")
# ``phone_region``: where the site's patients' phone numbers are from (ISO 3166
# alpha-2, "CN"): a number typed without a country code is read as one of there.
CONTACT_KEYS = frozenset(CONTACT_FIELDS) | {"phone_region"}
TEXT_AUDIENCES = ("patient", "caregiver", "physician", "patient_minor", "caregiver_minor")


# answer_words key: phrases that make a message no answer to the step at all
# ("nothing else" to "would that be acceptable?"): the question is asked again.
NOT_AN_ANSWER = "not_an_answer"


class TrialFileError(ValueError):
    """The trial file is malformed; the message names the field and line."""


@dataclass(frozen=True)
class Step:
    """One question, possibly filling several facts from one answer."""

    id: str
    parse: dict  # fact name -> parser name; the first fact is the primary one
    text: dict  # role -> question
    hint: Any  # text or {en, zh}
    example: Any
    roles: tuple
    ask_if: dict | None = None
    buttons: Any = ()  # labels, or {en: [labels], zh: [labels]}
    expects: tuple = ()  # for lab steps: analytes the question asks for
    # {answer: A, facts: {fact: value}}: answering A settles all these facts at once
    # (a physician's "none of these apply").
    fills_when: dict | None = None
    # A question asked together with others: {members: [step ids] | open, unnamed: "no" | null}.
    group: dict | None = None
    keywords: Any = None  # {en: [...], zh: [...]}: words that show a group answer is about this step
    short: Any = None  # a short label for this question inside a group question
    buttons_minor: Any = None  # buttons for a young patient's wording
    # Words that answer this question yes or no ("tox resolved", "willing to attend"):
    # {yes: {en: [...], zh: [...]}, no: {...}}
    answer_words: dict | None = None
    buttons_roles: tuple | None = None  # the roles shown the buttons (default: every role)

    def keywords_all(self) -> tuple:
        """This step's keywords in every language (people mix languages)."""
        if not self.keywords:
            return ()
        return tuple(str(k) for words in self.keywords.values() for k in words)

    @property
    def group_reads_values(self) -> bool:
        from bot.parsing.registry import MEASUREMENT_PARSERS

        return any(parser in MEASUREMENT_PARSERS for parser in self.parse.values())

    @property
    def primary_fact(self) -> str:
        return next(iter(self.parse), self.id)

    @property
    def follow_up(self) -> bool:
        """A conditional question (asked only after some answer): not numbered in the progress."""
        return self.ask_if is not None

    def question(self, role: str, language: str = DEFAULT_LANGUAGE, *, minor: bool = False) -> str:
        """The question for this audience: a wording for a young patient when there is one
        (``caregiver_minor``), else the role's, else the patient's (caregivers get the patient
        wording where no third-person text exists)."""
        keys = ([f"{role}_minor"] if minor else []) + [role, "patient"]
        for key in keys:
            if key in self.text:
                return localized(self.text[key], language, fallback=DEFAULT_LANGUAGE)
        return localized(next(iter(self.text.values())), language, fallback=DEFAULT_LANGUAGE)

    def question_for(self, role: str) -> str:
        return self.question(role)

    def buttons_in(self, language: str, *, minor: bool = False, role: str | None = None) -> tuple:
        """Quick answers for this audience: none where its wording asks for details
        (a doctor's "Histology and extent?" gets no Yes/No)."""
        if role is not None and self.buttons_roles is not None and role not in self.buttons_roles:
            return ()
        labels = self.buttons_minor if minor and self.buttons_minor else self.buttons
        if is_localized(labels):
            labels = labels.get(language) or labels.get(DEFAULT_LANGUAGE) or ()
        return tuple(labels)

    def short_in(self, role: str, language: str) -> str:
        """The label inside a group question: the short plain one for patients and
        caregivers; doctors read their own (already terse) question."""
        if self.short and role != "physician":
            return localized(self.short, language, fallback=DEFAULT_LANGUAGE)
        return self.question(role, language)

    def hint_in(self, language: str) -> str:
        return localized(self.hint, language, fallback=DEFAULT_LANGUAGE)

    def example_in(self, language: str) -> str:
        return localized(self.example, language, fallback=DEFAULT_LANGUAGE)


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
    name: Any = None  # a short readable name for staff ({en, zh})

    def plain_in(self, language: str) -> str:
        return localized(self.plain, language, fallback=DEFAULT_LANGUAGE)

    def why_in(self, language: str) -> str:
        return localized(self.why, language, fallback=DEFAULT_LANGUAGE)


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
    languages: tuple = (DEFAULT_LANGUAGE,)
    fact_labels: dict = field(default_factory=dict)
    glossary_aliases: dict = field(default_factory=dict)
    faq: tuple = ()
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

    @property
    def phone_region(self) -> str:
        """The region a phone number without a country code is read in (the trial file's)."""
        return str((self.info.get("contact") or {}).get("phone_region") or "")

    def unset_contact_fields(self) -> list:
        """Contact fields still empty or a "(set ...)" placeholder: people would see it."""
        return [
            key
            for key in ("phone", "email")
            if not self.contact.get(key, "").strip() or self.contact[key].strip().startswith("(set ")
        ]

    def context(self, language: str) -> dict:
        """The trial's names and contact in one language, for message templates. Contact
        fields that are not configured are left out (people never see a placeholder)."""
        info = {
            key: value if isinstance(value, (int, float)) else localized(value, language, fallback=DEFAULT_LANGUAGE)
            for key, value in self.info.items()
            if isinstance(value, (str, int, float)) or is_localized(value)
        }
        unset = set(self.unset_contact_fields())
        contact = dict.fromkeys(CONTACT_FIELDS, "")
        contact.update(
            {
                key: ("" if key in unset else localized(value, language, fallback=DEFAULT_LANGUAGE))
                for key, value in self.contact.items()
                if isinstance(value, str) or is_localized(value)
            }
        )
        return {**info, "contact": contact}

    def asks_for(self, fact: str) -> bool:
        """Does a question of this trial fill ``fact``? (A fact no step asks for is not this trial's.)"""
        return any(fact in step.parse for step in self.steps.values())

    def fact_label(self, fact: str) -> Any:
        """A readable name for a fact (a language mapping or text), from the trial file's fact_labels."""
        return self.fact_labels.get(fact) or fact.replace("_", " ")

    def glossary_entry(self, term: str) -> Any:
        term = term.lower()
        return self.glossary.get(self.glossary_aliases.get(term, term))

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

    def known_keys(self, mapping: Any, allowed: frozenset, where: tuple) -> None:
        """Refuse keys the schema does not know (a typo, or the tail of an unquoted text)."""
        if isinstance(mapping, dict):
            for key in mapping:
                if key not in allowed:
                    self.fail(where + (key,), f"unknown key; known: {', '.join(sorted(allowed))}")

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


def _trial_info(data: dict, check: _Checker) -> tuple[dict, Any, Any]:
    """The ``trial:`` section, checked: (info, id, title)."""
    info = check.need(data, "trial", (), dict) or {}
    check.known_keys(info, TRIAL_KEYS, ("trial",))
    trial_id = check.need(info, "id", ("trial",))
    title = _need_text(info, "title", ("trial",), check)  # a text or {en: ..., zh: ...}
    # The assistant's own messages (bot/data/messages.yaml) name these for every trial.
    for key in ("short_title", "site"):
        _need_text(info, key, ("trial",), check)
    # The age below which a parent or guardian must consent to the data (the consent
    # wording names it for every trial: PIPL's 14 in China).
    guardian_age = check.need(info, "guardian_required_below_age", ("trial",), int)
    if isinstance(guardian_age, bool) or (isinstance(guardian_age, int) and guardian_age < 1):
        check.fail(("trial", "guardian_required_below_age"), "must be a whole number of years, at least 1")
    contact = check.need(info, "contact", ("trial",), dict) or {}
    check.known_keys(contact, CONTACT_KEYS, ("trial", "contact"))
    _need_text(contact, "team", ("trial", "contact"), check)
    check.need(contact, "phone", ("trial", "contact"))
    for key in ("hours", "example", "phone_example"):
        if key in contact:
            _need_text(contact, key, ("trial", "contact"), check)
    region = check.need(contact, "phone_region", ("trial", "contact"))
    if region is not None:
        import phonenumbers

        if region not in phonenumbers.SUPPORTED_REGIONS:
            check.fail(("trial", "contact", "phone_region"), f"{region!r} is not a phone region (ISO 3166, 'CN')")
    return info, trial_id, title


def _step(step_id: str, raw: Any, context: dict, check: _Checker) -> Step | None:
    """One step of ``steps:``, checked (None when it is not a mapping)."""
    from bot.parsing.registry import PARSERS  # late: parsers load spaCy lazily

    info, roles, button_sets = context["info"], context["roles"], context["button_sets"]
    where = ("steps", step_id)
    if not isinstance(raw, dict):
        check.fail(where, "must be a mapping")
        return None
    check.known_keys(raw, STEP_KEYS, where)
    for text_key in raw.get("text") or {}:
        if text_key not in TEXT_AUDIENCES:
            check.fail(where + ("text", text_key), f"unknown audience; use {', '.join(TEXT_AUDIENCES)}")
    group = raw.get("group")
    parse = (raw.get("parse") or {}) if group is not None else (check.need(raw, "parse", where, dict) or {})
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
        if not _is_text(question):
            check.fail(where + ("text", role), "must be a non-empty question")
    hint = _need_text(raw, "hint", where, check)
    example = _need_text(raw, "example", where, check)
    buttons = raw.get("buttons")
    if buttons is not None and buttons not in button_sets:
        check.fail(where + ("buttons",), f"unknown button set {buttons!r}")
    ask_if = raw.get("ask_if")
    if ask_if is not None:
        ask_if = _with_trial_values(ask_if, info, where + ("ask_if",), check)
        for problem in conditions.problems(ask_if):
            check.fail(where + ("ask_if",), problem)
    expects = raw.get("expects") or ()
    if not isinstance(expects, list) and expects != ():
        check.fail(where + ("expects",), "must be a list of analytes")
        expects = ()
    from bot.parsing.labs import ANALYTES

    for index, analyte in enumerate(expects):
        # A lab the lab parser knows (bot/data/units.yaml), or a measurement this step parses (lvef).
        if analyte not in ANALYTES and analyte not in parse:
            known = ", ".join(ANALYTES)
            check.fail(where + ("expects", index), f"unknown analyte {analyte!r}; known: {known} (or a fact of parse)")
    fills_when = raw.get("fills_when")
    if fills_when is not None and (
        not isinstance(fills_when, dict) or "answer" not in fills_when or not isinstance(fills_when.get("facts"), dict)
    ):
        check.fail(where + ("fills_when",), "must be {answer: ..., facts: {fact: value}}")
        fills_when = None
    if group is not None:
        group = _group(group, where + ("group",), check)
    keywords = raw.get("keywords")
    if keywords is not None and not (
        is_localized(keywords) and all(isinstance(v, list) and v for v in keywords.values())
    ):
        check.fail(where + ("keywords",), "must map languages to lists of words")
        keywords = None
    short = raw.get("short")
    if short is not None and not _is_text(short):
        check.fail(where + ("short",), "must be a text or {en: ..., zh: ...}")
    answer_words = raw.get("answer_words")
    if answer_words is not None and not (
        isinstance(answer_words, dict)
        and set(answer_words) <= {"yes", "no", NOT_AN_ANSWER}
        and all(is_localized(v) and all(isinstance(w, list) for w in v.values()) for v in answer_words.values())
    ):
        check.fail(
            where + ("answer_words",),
            f"must be {{yes: {{en: [...]}}, no: {{en: [...]}}, {NOT_AN_ANSWER}: {{en: [...]}}}}",
        )
        answer_words = None
    buttons_minor = raw.get("buttons_minor")
    if buttons_minor is not None and buttons_minor not in button_sets:
        check.fail(where + ("buttons_minor",), f"unknown button set {buttons_minor!r}")
    return Step(
        id=step_id,
        parse=dict(parse),
        text=dict(text),
        hint=hint or "",
        example=example or "",
        roles=step_roles,
        ask_if=ask_if,
        buttons=(button_sets.get(buttons) or ()) if buttons else (),
        expects=tuple(expects),
        fills_when=fills_when,
        group=group,
        keywords=keywords,
        short=short,
        buttons_minor=(button_sets.get(buttons_minor) or None) if buttons_minor else None,
        answer_words=answer_words,
        buttons_roles=tuple(raw["buttons_roles"]) if raw.get("buttons_roles") else None,
    )


def _check_step_links(steps: dict, check: _Checker) -> set:
    """Group members and ``fills_when`` facts name real steps; returns every fact asked for."""
    for step in steps.values():
        group_members = (step.group or {}).get("members")
        if isinstance(group_members, list):
            for position, member in enumerate(group_members):
                if member not in steps or steps[member].group is not None:
                    check.fail(("steps", step.id, "group", "members", position), f"unknown step {member!r}")
    known_facts = {fact for step in steps.values() for fact in step.parse}
    for step in steps.values():
        for fact in (step.fills_when or {}).get("facts", {}):
            if fact not in known_facts:
                check.fail(("steps", step.id, "fills_when", "facts", fact), "no step asks for this fact")

    return known_facts


def _criteria(data: dict, steps: dict, check: _Checker) -> tuple[list, dict]:
    """The ``criteria:`` list, checked: (criteria, criterion of each step)."""
    criteria = []
    seen: dict = {}
    criterion_of_step: dict = {}
    raw_criteria = check.need(data, "criteria", (), list) or []
    for index, raw in enumerate(raw_criteria):
        where = ("criteria", index)
        if not isinstance(raw, dict):
            check.fail(where, "must be a mapping")
            continue
        check.known_keys(raw, CRITERION_KEYS, where)
        cid = check.need(raw, "id", where)
        if cid in seen:
            check.fail(where + ("id",), f"duplicate criterion id {cid!r} (first at index {seen[cid]})")
        seen[cid] = index
        kind = check.need(raw, "kind", where)
        if kind and kind not in KINDS:
            check.fail(where + ("kind",), f"must be one of {', '.join(KINDS)}")
        for key in ("source_ref", "source"):
            check.need(raw, key, where)
        for key in ("plain", "why"):
            _need_text(raw, key, where, check)
        step_ids = check.need(raw, "steps", where, list) or []
        for position, step_id in enumerate(step_ids):
            if step_id not in steps:
                check.fail(where + ("steps", position), f"unknown step {step_id!r}")
            elif steps[step_id].group is not None:
                check.fail(where + ("steps", position), f"{step_id!r} is a group question; list its members instead")
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
                name=raw.get("name") if _is_text(raw.get("name")) else None,
            )
        )
    return criteria, criterion_of_step


def _button_sets(data: dict, check: _Checker) -> dict:
    """``button_sets:``, name -> labels (per language), checked."""
    button_sets = data.get("button_sets") or {}
    if not isinstance(button_sets, dict):
        check.fail(("button_sets",), "must be a mapping of name -> list of labels")
        button_sets = {}
    for name, labels in button_sets.items():
        per_language = labels.values() if is_localized(labels) else [labels]
        if not all(isinstance(ls, list) and all(isinstance(label, str) for label in ls) for ls in per_language):
            check.fail(("button_sets", name), "must be a list of quoted labels (YAML reads a bare Yes as true)")
    return button_sets


def _glossary(data: dict, check: _Checker) -> tuple[dict, dict]:
    """``glossary:`` (term -> explanation) and ``glossary_aliases:`` (other name -> term), checked."""
    glossary = data.get("glossary") or {}
    if not isinstance(glossary, dict) or not all(_is_text(v) for v in glossary.values()):
        check.fail(("glossary",), "must map terms to explanations (text)")
        glossary = {}
    aliases = data.get("glossary_aliases") or {}
    if not isinstance(aliases, dict) or not all(
        isinstance(v, str) and v.lower() in {k.lower() for k in glossary} for v in aliases.values()
    ):
        check.fail(("glossary_aliases",), "must map other names to glossary terms")
        aliases = {}
    return glossary, aliases


def _build(data: dict, check: _Checker, path: str) -> Trial | None:
    check.known_keys(data, TOP_LEVEL_KEYS, ())
    info, trial_id, title = _trial_info(data, check)
    roles = check.need(data, "roles", (), dict) or {}
    for role in roles:
        if role not in ROLES:
            check.fail(("roles", role), f"unknown role; use {', '.join(ROLES)}")
    button_sets = _button_sets(data, check)
    glossary, aliases = _glossary(data, check)
    languages = tuple(data.get("languages") or (DEFAULT_LANGUAGE,))
    for language in languages:
        if language not in LANGUAGES:
            check.fail(("languages",), f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    fact_labels = _text_map(data, "fact_labels", check)
    faq = _faq(data.get("faq") or [], check)

    context = {"info": info, "roles": roles, "button_sets": button_sets}
    steps: dict = {}
    for step_id, raw in (check.need(data, "steps", (), dict) or {}).items():
        step = _step(step_id, raw, context, check)
        if step is not None:
            steps[step_id] = step
    known_facts = _check_step_links(steps, check)
    criteria, criterion_of_step = _criteria(data, steps, check)
    summary = _summary_mapping(data.get("summary"), check, known_facts)
    for i, step_id in enumerate(summary.get("worded_steps") or []):
        if step_id not in steps or not steps[step_id].answer_words:
            check.fail(("summary", "worded_steps", i), f"{step_id!r} is not a step with answer_words")
    if check.errors:
        return None
    return Trial(
        id=trial_id,
        # The English title (the trial's own name); trial.context(language) gives each language's.
        title=localized(title, DEFAULT_LANGUAGE, fallback=DEFAULT_LANGUAGE),
        info=info,
        roles=roles,
        steps=steps,
        criteria=tuple(criteria),
        glossary={k.lower(): v for k, v in glossary.items()},
        button_sets=button_sets,
        path=path,
        criterion_of_step=criterion_of_step,
        languages=languages,
        fact_labels=fact_labels,
        glossary_aliases={k.lower(): v.lower() for k, v in aliases.items()},
        faq=faq,
        summary=summary,
    )


def _is_text(value: Any) -> bool:
    """A human-readable text: a non-empty string, or a mapping of languages to strings."""
    if isinstance(value, str):
        return bool(value.strip())
    return is_localized(value) and all(isinstance(v, str) and v.strip() for v in value.values())


def _text_map(data: dict, key: str, check: _Checker) -> dict:
    mapping = data.get(key) or {}
    if not isinstance(mapping, dict):
        check.fail((key,), "must map names to texts")
        return {}
    for name, value in mapping.items():
        if not _is_text(value):
            check.fail((key, name), "must be a text or {en: ..., zh: ...}")
    return dict(mapping)


GROUP_KEYS = {"members", "unnamed", "rounds"}


def _group(raw: Any, where: tuple, check: _Checker) -> dict | None:
    """{members: [step ids] | open, unnamed: "no" | null}; members are checked once all steps are read."""
    if not isinstance(raw, dict):
        check.fail(where, "must be {members: [...] or open, unnamed: no}")
        return None
    for key in sorted(set(raw) - GROUP_KEYS):
        check.fail(where + (key,), f"unknown key; use {', '.join(sorted(GROUP_KEYS))}")
    members = raw.get("members")
    if members != "open" and not (isinstance(members, list) and len(members) >= 2):
        check.fail(where + ("members",), "must be 'open' or a list of at least two step ids")
    if raw.get("unnamed") not in (None, "no"):
        check.fail(where + ("unnamed",), "must be no (unnamed members answered no) or left out")
    return dict(raw)


FAQ_KEYS = {"id", "keywords", "answer"}


def _faq(raw: Any, check: _Checker) -> tuple:
    """Questions people ask that are not about a criterion: keywords per language and an answer."""
    if not isinstance(raw, list):
        check.fail(("faq",), "must be a list of {id, keywords, answer}")
        return ()
    entries = []
    for index, entry in enumerate(raw):
        where = ("faq", index)
        if not isinstance(entry, dict):
            check.fail(where, "must be a mapping")
            continue
        for key in sorted(set(entry) - FAQ_KEYS):
            check.fail(where + (key,), f"unknown key; use {', '.join(sorted(FAQ_KEYS))}")
        check.need(entry, "id", where)
        keywords = entry.get("keywords")
        if not (is_localized(keywords) and all(isinstance(v, list) and v for v in keywords.values())):
            check.fail(where + ("keywords",), "must map languages to lists of words")
        if not _is_text(entry.get("answer")):
            check.fail(where + ("answer",), "must be a text or {en: ..., zh: ...}")
        entries.append(dict(entry))
    return tuple(entries)


def _with_trial_values(value: Any, info: dict, where: tuple, check: _Checker) -> Any:
    """``{trial: name}`` inside a condition stands for a value of the trial section
    (``{fact: age, lt: {trial: guardian_required_below_age}}``): each number is written once."""
    if isinstance(value, dict):
        if set(value) == {"trial"}:
            name = value["trial"]
            if name not in info:
                check.fail(where, f"no trial.{name} to refer to")
                return None
            return info[name]
        return {k: _with_trial_values(v, info, where, check) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_trial_values(v, info, where, check) for v in value]
    return value


def _need_text(raw: dict, key: str, where: tuple, check: _Checker) -> Any:
    if key not in raw:
        check.fail(where + (key,), "missing")
        return None
    value = raw[key]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not _is_text(value):
        check.fail(where + (key,), "must be a non-empty text or {en: ..., zh: ...}")
        return None
    return value


def _summary_mapping(raw: Any, check: _Checker, known_facts: set) -> dict:
    """The ``summary:`` section: which finding of a pasted summary fills which fact.

    ``facts``: finding -> fact (``labs: true`` files lab values under their
    analytes); ``drug_classes``: fact -> drug classes; ``progression_fact``;
    ``ignore_drugs``; ``events``: fact -> lexicon event groups (dated events);
    ``worded_steps``: steps a summary answers in their own answer words
    ("postmenopausal"). Every fact must be one a step asks for.
    """
    from bot.parsing.summary import SOURCES

    if raw is None:
        return {}
    where = ("summary",)
    if not isinstance(raw, dict):
        check.fail(where, "must be a mapping with facts, drug_classes, progression_fact, ignore_drugs")
        return {}
    allowed = {"facts", "drug_classes", "progression_fact", "ignore_drugs", "events", "worded_steps"}
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
    worded = raw.get("worded_steps") or []
    if not isinstance(worded, list) or not all(isinstance(n, str) for n in worded):
        check.fail(where + ("worded_steps",), "must be a list of step ids")
    ignore = raw.get("ignore_drugs") or []
    if not isinstance(ignore, list) or not all(isinstance(n, str) for n in ignore):
        check.fail(where + ("ignore_drugs",), "must be a list of medicine names")
    return {k: v for k, v in raw.items() if k in allowed}


def _check_rule(rule: dict, where: tuple, check: _Checker) -> None:
    """Every parameter of a rule (and of its parts) is one its type declares, with the right type."""
    from bot.rules import rule_problems

    for problem_where, problem in rule_problems(rule):
        check.fail(where + tuple(problem_where), problem)

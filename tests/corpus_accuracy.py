"""The answer corpus (tests/corpus/*.yaml): load it, score it through
bot.check.check_answers, and report agreement with the registry.

Each corpus file holds groups of cases sharing a role and a style::

    today: 2026-11-25            # dates in the answers are read from this day
    groups:
      - role: patient            # patient | caregiver | physician (the audience)
        style: plain             # plain | clinical | lab report | summary
        cases:
          - [age, "I'm 45", pass]                       # step, text, verdict of the step's criterion
          - [age, "around 70", uncertain, "why: a note"]  # optional fourth item: why this verdict
          - answers: [[sex, female], [can_become_pregnant, "no, postmenopausal"]]
            expect: {pregnancy_contraception: not_applicable}
            why: ...

The expected verdict is the registry text's (../shared/trial/NCT05617859.txt),
written before looking at what the code says. ``python tests/corpus_accuracy.py``
(``make accuracy``) prints agreement by criterion, audience and style and the
unsafe passes (expected fail, got pass), and exits 1 if there is any.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
ROLES = ("patient", "caregiver", "physician")
LANGUAGES = ("en", "zh")
STYLES = ("plain", "clinical", "lab report", "summary")
VERDICTS = ("pass", "fail", "uncertain", "pending", "not_applicable", "not_asked")


@dataclass(frozen=True)
class Case:
    id: str
    answers: tuple  # ((step_id, text), ...)
    role: str
    style: str
    expect: dict  # criterion id -> verdict
    today: date
    why: str = ""
    language: str = "en"

    @property
    def gap(self) -> bool:
        """A known gap: the expected verdict stands, the code does not reach it yet ("gap: ...")."""
        return str(self.why).startswith("gap:")

    @property
    def text(self) -> str:
        return " | ".join(f"{step}: {text}" for step, text in self.answers)


@dataclass
class Outcome:
    case: Case
    got: dict = field(default_factory=dict)  # criterion id -> {"verdict", "reason"}

    def misses(self) -> list:
        return [
            (cid, want, self.got[cid]["verdict"])
            for cid, want in self.case.expect.items()
            if self.got[cid]["verdict"] != want
        ]

    def unsafe(self) -> list:
        return [(cid, want, got) for cid, want, got in self.misses() if want == "fail" and got == "pass"]


def _case(raw, group: dict, where: str, today: date, trial, language: str = "en") -> Case:
    role, style = group.get("role"), group.get("style")
    if role not in ROLES or style not in STYLES:
        raise ValueError(f"{where}: role must be one of {ROLES}, style one of {STYLES}")
    if isinstance(raw, list):
        if len(raw) not in (3, 4):
            raise ValueError(f"{where}: a short case is [step, text, verdict] or [step, text, verdict, why]")
        step, text, verdict = raw[:3]
        if step not in trial.criterion_of_step:
            raise ValueError(f"{where}: unknown step {step!r}")
        answers, expect = ((step, str(text)),), {trial.criterion_of_step[step]: verdict}
        why = raw[3] if len(raw) == 4 else ""
    elif isinstance(raw, dict):
        answers = tuple((step, str(text)) for step, text in raw["answers"])
        expect, why = dict(raw["expect"]), raw.get("why", "")
        role, style = raw.get("role", role), raw.get("style", style)
    else:
        raise ValueError(f"{where}: a case is a list or a mapping")
    for cid, verdict in expect.items():
        if verdict not in VERDICTS:
            raise ValueError(f"{where}: unknown verdict {verdict!r}")
        trial.criterion(cid)  # KeyError for an unknown criterion
    for step, _ in answers:
        if step not in trial.steps:
            raise ValueError(f"{where}: unknown step {step!r}")
    return Case(where, answers, role, style, expect, today, why, language)


def load_cases(directory: Path = CORPUS_DIR) -> list:
    from bot.trial import get_trial

    trial = get_trial()
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        today = data.get("today") or date(2026, 11, 25)
        language = data.get("language", "en")
        if language not in LANGUAGES:
            raise ValueError(f"{path.name}: language must be one of {LANGUAGES}")
        for g, group in enumerate(data["groups"]):
            for c, raw in enumerate(group["cases"]):
                cases.append(_case(raw, group, f"{path.stem}:{g}.{c}", today, trial, language))
    return cases


def run(case: Case) -> Outcome:
    from bot.check import check_answers

    result = check_answers(list(case.answers), role=case.role, today=case.today, language=case.language)
    got = {cid: result["criteria"][cid] for cid in case.expect}
    return Outcome(case, got)


def report(outcomes: list, out=sys.stdout) -> int:
    """Print agreement tables; return the number of unsafe passes."""
    by = {
        "criterion": defaultdict(Counter),
        "audience": defaultdict(Counter),
        "style": defaultdict(Counter),
        "language": defaultdict(Counter),
    }
    unsafe = []
    for outcome in outcomes:
        case = outcome.case
        for cid, want in case.expect.items():
            agree = outcome.got[cid]["verdict"] == want
            keys = (("criterion", cid), ("audience", case.role), ("style", case.style), ("language", case.language))
            for table, key in keys:
                by[table][key]["n"] += 1
                by[table][key]["agree"] += agree
        unsafe += [(case, cid, got) for cid, want, got in outcome.unsafe()]
    total = sum(c["n"] for c in by["criterion"].values())
    agree = sum(c["agree"] for c in by["criterion"].values())
    print(f"answer corpus: {len(outcomes)} cases, {total} criterion verdicts", file=out)
    for table, counts in by.items():
        print(f"\nagreement by {table}:", file=out)
        for key in sorted(counts):
            n, a = counts[key]["n"], counts[key]["agree"]
            print(f"  {key:<28} {a:>4}/{n:<4} {100 * a / n:5.1f}%", file=out)
    gaps = sum(1 for outcome in outcomes if outcome.case.gap)
    print(f"\nknown gaps (cases marked 'gap:', expected verdict kept): {gaps}", file=out)
    print(f"\noverall agreement: {agree}/{total} = {100 * agree / max(total, 1):.1f}%", file=out)
    print(f"unsafe passes (registry says fail, the core says pass): {len(unsafe)}", file=out)
    for case, cid, _ in unsafe:
        print(f"  UNSAFE {case.id} [{case.role}] {cid}: {case.text}", file=out)
    return len(unsafe)


def main(argv: list) -> int:
    outcomes = [run(case) for case in load_cases()]
    if "--misses" in argv:
        for outcome in outcomes:
            for cid, want, got in outcome.misses():
                reason = outcome.got[cid]["reason"]
                print(
                    f"MISS {outcome.case.id} [{outcome.case.role}] {cid}: want {want}, got {got}: {outcome.case.text}\n     {reason}"
                )
    unsafe = report(outcomes)
    return 1 if unsafe else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main(sys.argv[1:]))

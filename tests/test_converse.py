"""The conversation harness (scripts/converse.py) in the suite.

Fast: every persona of tests/personas/ in-process (bot.dialogue.flow.handle),
judged against what the registry text says about it: no unsafe pass, no lead
without contact, no unwanted deletion (one test per persona), and outcome
agreement at or above the level measured. Slow: the personas tagged ``rest``
through the real Rasa and action servers' REST channel and the staff export.

A persona whose conversation is known to go wrong is listed in
tests/personas/known_failures.yaml with what goes wrong (the report for the
dialogue, issue 14): its test is an expected failure, and strict, so fixing
the dialogue turns it into a failure that asks for the line to be deleted.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # `scripts` here is tests/scripts.py: the harness by its folder

from conversation_harness import personas as persona_files  # noqa: E402 - after the path is set
from conversation_harness import report, runner, transports  # noqa: E402 - after the path is set
from conversation_harness.personas import Persona  # noqa: E402 - after the path is set

PERSONAS = ROOT / "tests" / "personas"
ALL = persona_files.load_personas(PERSONAS)
KNOWN = yaml.safe_load((PERSONAS / "known_failures.yaml").read_text(encoding="utf-8")) or {}
# Outcome agreement measured in-process over all personas (see the commit that set it); the
# dialogue may raise it, never lower it.
MIN_AGREEMENT_LOCAL = 0.85  # measured 117/136 (86.0%)
# Measured over REST for the personas tagged `rest`.
MIN_AGREEMENT_REST = 0.75


def _cases(transport: str) -> list:
    known = KNOWN.get(transport) or {}
    chosen = ALL if transport == "local" else [p for p in ALL if "rest" in p.tags]
    return [
        pytest.param(p.name, marks=pytest.mark.xfail(strict=True, reason=known[p.name])) if p.name in known else p.name
        for p in chosen
    ]


def _safety(verdict) -> list:
    found = []
    if verdict.unsafe:
        found.append(f"unsafe pass: expected not_eligible ({verdict.persona.expect['because']}), got {verdict.got}")
    if verdict.lost_lead:
        found.append(f"lead without contact: {verdict.lost_lead}")
    if verdict.unwanted_deletion:
        found.append(f"unwanted deletion: {verdict.unwanted_deletion}")
    return found


# ---------------------------------------------------------------- the personas themselves
def test_at_least_80_personas_of_every_kind():
    assert len(ALL) >= 80, len(ALL)
    groups = Counter(p.group for p in ALL)
    assert all(groups[g] >= 8 for g in ("patient", "caregiver", "caregiver_minor", "physician")), groups
    outcomes = Counter(p.outcome for p in ALL)
    assert all(outcomes[o] for o in ("likely_eligible", "needs_review", "not_eligible", "declined", "incomplete"))
    physicians = [p for p in ALL if p.role == "physician"]
    skipping = [p for p in physicians if _first(p, "case summary").strip().lower() == "skip"]
    assert skipping and len(skipping) < len(physicians), "physicians with and without a pasted summary"


def _first(persona: Persona, words: str) -> str:
    """What the persona first says to a question with these words (its own answer before the shared ones)."""
    return next((values[0].text for alternatives, values in persona.answers if words in alternatives), "")


def test_every_criterion_that_can_fail_has_a_persona_it_rules_out():
    from bot.trial import get_trial

    trial = get_trial()
    ruled_out = {p.expect.get("knocked_out") for p in ALL if p.outcome == "not_eligible"}
    can_fail = {c.id for c in trial.criteria if "fail" in str(c.rule)}
    assert can_fail - ruled_out == set(), can_fail - ruled_out
    assert ruled_out <= {c.id for c in trial.criteria}, ruled_out


def test_known_failures_name_real_personas():
    names = {p.name for p in ALL}
    for transport, listed in KNOWN.items():
        assert transport in ("local", "rest"), transport
        assert set(listed or {}) <= names, set(listed or {}) - names


# ---------------------------------------------------------------- in-process, every persona
@pytest.fixture(scope="module")
def local_verdicts() -> dict:
    verdicts = runner.run_all(ALL, transports.LocalTransport(), progress=False)
    return {v.persona.name: v for v in verdicts}


@pytest.mark.parametrize("name", _cases("local"))
def test_persona_in_process_is_safe(local_verdicts, name):
    verdict = local_verdicts[name]
    found = _safety(verdict)
    assert not found, "\n".join(found + [""] + report._exchanges(verdict))


def test_outcome_agreement_in_process(local_verdicts):
    figures = report.figures(list(local_verdicts.values()))
    assert figures["agreement"] >= MIN_AGREEMENT_LOCAL, report.render(list(local_verdicts.values()), "local", 0)


def test_no_couldnt_process_reply_in_process(local_verdicts):
    assert report.figures(list(local_verdicts.values()))["couldnt_process"] == 0


# ---------------------------------------------------------------- the harness catches what it must
class _FakeSession:
    def __init__(self, script):
        self.script, self.turn = script, 0

    def send(self, say):
        replies, ended, erased = self.script[min(self.turn, len(self.script) - 1)]
        self.turn += 1
        return transports.BotTurn(replies, ended=ended, erased=erased)


class _FakeTransport:
    """Replays a scripted bot and a scripted record: to check that the judge sees each failure."""

    name = "fake"

    def __init__(self, script, record):
        self.script, self.record = script, record

    def sender(self, name):
        return f"fake-{name}"

    def session(self, sender):
        return _FakeSession(self.script)

    def records(self):
        return {} if self.record is None else {f"fake-{n}": [r] for n, r in self.record.items()}


def _persona(name: str) -> Persona:
    return next(p for p in ALL if p.name == name)


def _record(outcome: str, contact: dict | None = None) -> dict:
    return {"outcome": outcome, "role": "patient", "criteria": {}, "contact": contact or {}}


def test_the_judge_counts_an_unsafe_pass_a_lost_lead_and_an_unwanted_deletion():
    ko = _persona("pat-ko-age-71m")
    lead = _persona("pat-osteo-45m-plain")
    ended = [(["Your reference number is X."], True, False)]
    fake = _FakeTransport(ended, {ko.name: _record("likely_eligible"), lead.name: _record("likely_eligible")})
    verdicts = {v.persona.name: v for v in runner.run_all([ko, lead], fake, progress=False)}
    assert verdicts[ko.name].unsafe and not verdicts[ko.name].agree
    # Sent to staff review with the knock-out criterion uncertain: a disagreement, not a pass.
    reviewed = {**_record("needs_review"), "criteria": {"age": {"verdict": "uncertain"}}}
    (review,) = runner.run_all([ko], _FakeTransport(ended, {ko.name: reviewed}), progress=False)
    assert not review.unsafe and not review.agree
    passed = {**_record("needs_review"), "criteria": {"age": {"verdict": "pass"}}}
    (unsafe,) = runner.run_all([ko], _FakeTransport(ended, {ko.name: passed}), progress=False)
    assert unsafe.unsafe
    assert verdicts[lead.name].lost_lead and not verdicts[lead.name].unsafe
    erasing = _FakeTransport([(["Thank you. Let's begin"], False, False), (["Done"], True, True)], None)
    (deleted,) = runner.run_all([lead], erasing, progress=False)
    assert deleted.unwanted_deletion and deleted.got == "deleted"


def test_the_judge_accepts_a_lead_with_its_phone_and_a_confirmed_delete():
    lead = _persona("pat-osteo-45m-plain")
    stored = _record("likely_eligible", {"consented": True, "phone": "+8613800138000"})
    (verdict,) = runner.run_all([lead], _FakeTransport([(["reference number"], True, False)], {lead.name: stored}))
    assert verdict.agree and not _safety(verdict)
    deleter = _persona("pat-lms-60f-deletes-for-real")
    confirm = "Do you want me to delete everything you've told me in this conversation? This can't be undone."
    script = [(["Thank you. Let's begin"], False, False), ([confirm], False, False), (["Done"], True, True)]
    (deleted,) = runner.run_all([deleter], _FakeTransport(script, None), progress=False)
    assert deleted.unwanted_deletion is None and deleted.agree


# ---------------------------------------------------------------- over REST, a handful
@pytest.fixture(scope="module")
def rest_verdicts(tmp_path_factory) -> dict:
    from servers import Servers, latest_model

    model = latest_model()
    if model is None:
        pytest.fail("no trained model in models/: run `make train` (make test does it)")
    servers = Servers(tmp_path_factory.mktemp("converse"), model).start()
    try:
        chosen = [p for p in ALL if "rest" in p.tags]
        verdicts = runner.run_all(chosen, transports.RestTransport(servers=servers), concurrency=4, progress=False)
    finally:
        servers.stop()
    return {v.persona.name: v for v in verdicts}


@pytest.mark.slow
@pytest.mark.parametrize("name", _cases("rest"))
def test_persona_over_rest_is_safe(rest_verdicts, name):
    verdict = rest_verdicts[name]
    found = _safety(verdict)
    assert not found, "\n".join(found + [""] + report._exchanges(verdict))


@pytest.mark.slow
def test_outcome_agreement_over_rest(rest_verdicts):
    verdicts = list(rest_verdicts.values())
    assert report.figures(verdicts)["agreement"] >= MIN_AGREEMENT_REST, report.render(verdicts, "rest", 0)
    assert report.figures(verdicts)["couldnt_process"] == 0


def test_a_persona_file_that_does_not_follow_the_format_is_named(tmp_path):
    (tmp_path / "broken.yaml").write_text(
        "personas:\n  - name: x\n    role: patient\n    facts: {age: 40}\n    answers: {how old: '40'}\n"
        "    expect: {outcome: likely_eligible, because: test}\n"
    )
    with pytest.raises(persona_files.PersonaError, match=r"broken.yaml persona 1 \(x\): facts lack"):
        persona_files.load_personas(tmp_path)
    (tmp_path / "broken.yaml").write_text(
        "personas:\n  - name: y\n    role: patient\n    answers: {}\n    facts: {respondent: me, age: 1, sex: male,"
        " diagnosis: d, prior_tki: t, contact: {}}\n    expect: {outcome: not_eligible, because: test}\n"
    )
    with pytest.raises(persona_files.PersonaError, match="knocked_out"):
        persona_files.load_personas(tmp_path)

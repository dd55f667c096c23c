"""The answer corpus, one test per case: each answer (or answer sequence) gets
the verdict the registry text gives, through bot.check.check_answers only.

A failing case shows the answers, the expected and the actual verdict and the
reason the core gave. `make accuracy` prints the same corpus as agreement
tables and counts unsafe passes."""

import pytest
from corpus_accuracy import load_cases, run

CASES = load_cases()


def test_the_corpus_is_big_enough_and_covers_every_criterion_in_both_registers():
    from bot.trial import get_trial

    assert len(CASES) >= 400
    for criterion in get_trial().criteria:
        styles = {"plain" if case.style == "plain" else "clinical" for case in CASES if criterion.id in case.expect}
        needs_plain = set(criterion.settled_by) & {"patient", "caregiver"}
        assert "clinical" in styles, criterion.id
        assert "plain" in styles or not needs_plain, criterion.id


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_answer_gets_the_registry_verdict(case):
    outcome = run(case)
    if case.gap and outcome.misses():
        assert not outcome.unsafe(), f"unsafe pass on a known gap: {case.text}"
        pytest.xfail(f"known gap: {case.why}")
    misses = outcome.misses()
    detail = "; ".join(f"{cid}: expected {want}, got {got} ({outcome.got[cid]['reason']})" for cid, want, got in misses)
    assert not misses, f"[{case.role}, {case.style}] {case.text} -> {detail}"

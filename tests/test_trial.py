"""The trial definition file: it loads, covers the registry record, and refuses mistakes clearly."""

from pathlib import Path

import pytest
import yaml

from bot.trial import DEFAULT_TRIAL_FILE, TrialFileError, load_trial

REGISTRY_TEXT = Path(__file__).resolve().parents[2] / "shared" / "trial" / "NCT05617859.txt"


def _normalise(text: str) -> str:
    return " ".join(text.replace("\\", "/").split()).lower()


def test_the_trial_file_loads_with_every_step_reachable():
    trial = load_trial()
    assert trial.id == "NCT05617859"
    used = {step for criterion in trial.criteria for step in criterion.steps} | {"summary"}
    groups = {step.id for step in trial.steps.values() if step.group is not None}
    assert used | groups == set(trial.steps), "every question belongs to a criterion (or groups some)"
    for group in groups:
        members = trial.steps[group].group["members"]
        assert members == "open" or set(members) <= used, group


def test_each_criterion_has_questions_for_every_audience_that_can_settle_it():
    trial = load_trial()
    for criterion in trial.criteria:
        roles_asked = {role for step in criterion.steps for role in trial.steps[step].roles}
        assert set(criterion.settled_by) <= roles_asked | {"caregiver"}, criterion.id
        assert criterion.why and criterion.plain and criterion.source


@pytest.mark.skipif(not REGISTRY_TEXT.exists(), reason="shared/trial not beside the checkout")
def test_source_text_is_verbatim_from_the_registry_record():
    registry = _normalise(REGISTRY_TEXT.read_text(encoding="utf-8"))
    for criterion in load_trial().criteria:
        # Long criteria are split across ids; each id's text must appear in the record.
        for sentence in criterion.source.split(": "):
            assert _normalise(sentence)[:60] in registry, (criterion.id, sentence[:60])


def _write(tmp_path, mutate) -> Path:
    data = yaml.safe_load(DEFAULT_TRIAL_FILE.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "trial.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _error(tmp_path, mutate) -> str:
    with pytest.raises(TrialFileError) as raised:
        load_trial(_write(tmp_path, mutate))
    return str(raised.value)


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_unknown_rule_type_names_the_field_and_line(tmp_path):
    def mutate(data):
        data["criteria"][0]["rule"]["type"] = "magic"

    path = _write(tmp_path, mutate)
    with pytest.raises(TrialFileError) as raised:
        load_trial(path)
    message = str(raised.value)
    assert "criteria.0.rule.type" in message and "unknown rule type 'magic'" in message
    assert f":{_line_of(path, 'type: magic')}:" in message


def test_missing_question_for_a_role(tmp_path):
    message = _error(tmp_path, lambda d: d["steps"]["age"]["text"].pop("physician"))
    assert "steps.age.text" in message and "physician" in message


def test_unknown_parser_and_unknown_step(tmp_path):
    def mutate(data):
        data["steps"]["age"]["parse"] = {"age": "telepathy"}
        data["criteria"][0]["steps"].append("no_such_step")

    message = _error(tmp_path, mutate)
    assert "unknown parser 'telepathy'" in message
    assert "unknown step 'no_such_step'" in message


def test_duplicate_id_and_bad_kind(tmp_path):
    def mutate(data):
        data["criteria"][1]["id"] = data["criteria"][0]["id"]
        data["criteria"][2]["kind"] = "maybe"

    message = _error(tmp_path, mutate)
    assert "duplicate criterion id 'age'" in message and "criteria.2.kind" in message


def test_bad_condition_and_bad_verdict(tmp_path):
    def mutate(data):
        data["steps"]["guardian"]["ask_if"] = {"fact": "age", "roughly": 14}
        rule = next(c for c in data["criteria"] if c["id"] == "drug_allergy")["rule"]
        rule["facts"]["drug_allergy"]["yes"] = "probably_fine"

    message = _error(tmp_path, mutate)
    assert "steps.guardian.ask_if" in message and "unknown verdict 'probably_fine'" in message


def test_missing_required_rule_parameter(tmp_path):
    def mutate(data):
        del data["criteria"][0]["rule"]["max"]

    assert "criteria.0.rule.max: missing" in _error(tmp_path, mutate)


def test_not_yaml_and_not_a_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("trial:\n  id: [unclosed\n", encoding="utf-8")
    with pytest.raises(TrialFileError, match=r"broken.yaml:\d+: not valid YAML"):
        load_trial(broken)
    with pytest.raises(TrialFileError, match="cannot read"):
        load_trial(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(TrialFileError):
        load_trial(empty)


def test_a_second_trial_is_just_another_file(tmp_path):
    def mutate(data):
        data["trial"]["id"] = "NCT00000000"
        data["trial"]["title"] = "Another study"
        data["criteria"] = [c for c in data["criteria"] if c["id"] in ("age", "diagnosis")]
        data["criteria"][0]["rule"]["max"] = 80
        keep = {s for c in data["criteria"] for s in c["steps"]} | {"summary"}
        data["steps"] = {k: v for k, v in data["steps"].items() if k in keep}
        # The summary maps findings onto this trial's own facts only.
        data["summary"] = {"facts": {"age": "age", "diagnosis": "diagnosis"}}

    trial = load_trial(_write(tmp_path, mutate))
    assert trial.id == "NCT00000000"
    assert [c.id for c in trial.criteria] == ["age", "diagnosis"]
    assert trial.criterion("age").rule["max"] == 80


def test_stray_keys_are_refused_with_file_line_and_field(tmp_path):
    def mutate(data):
        data["steps"]["age"]["hnit"] = "a typo"
        data["steps"]["age"]["text"]["nurse"] = "Age?"
        data["criteria"][0]["knock_out"] = True
        data["trial"]["contact_phone"] = "123"

    message = _error(tmp_path, mutate)
    assert "steps.age.hnit: unknown key" in message
    assert "steps.age.text.nurse: unknown audience" in message
    assert "criteria.0.knock_out: unknown key" in message
    assert "trial.contact_phone: unknown key" in message
    assert all(":" in line and line.split(":")[1].isdigit() for line in message.splitlines()[1:])


def test_a_group_question_lists_known_steps_and_is_not_a_criterion_step(tmp_path):
    def mutate(data):
        data["steps"]["recent_events"]["group"]["members"] = ["cardiac_events", "no_such_step"]
        data["criteria"][0]["steps"].append("medicines")

    message = _error(tmp_path, mutate)
    assert "steps.recent_events.group.members.1: unknown step 'no_such_step'" in message
    assert "'medicines' is a group question" in message


def test_a_value_named_from_the_trial_section_is_written_once():
    trial = load_trial()
    limit = trial.info["guardian_required_below_age"]
    assert trial.steps["guardian"].ask_if == {"any": [{"fact": "age", "lt": limit}, {"fact": "age.min", "lt": limit}]}


def test_a_label_cut_at_its_comma_becomes_a_stray_key_and_is_refused(tmp_path):
    """The real bug of issue 11 item 7: an unquoted label with commas in a flow
    mapping is cut by YAML (staff read "heart attack" for every cardiac event)
    and its tail becomes a stray key. The loader must refuse it, with the line."""
    text = DEFAULT_TRIAL_FILE.read_text(encoding="utf-8")
    block = (
        "        - type: event_window\n          fact: cardiac_events\n          when_fact: cardiac_events_when\n"
        "          window_days: 182\n          label:\n"
        '            en: "heart attack, unstable angina or uncontrolled arrhythmia"\n'
        "            zh: 心肌梗死、不稳定型心绞痛或未控制的心律失常\n"
    )
    assert block in text
    flow = (
        "        - {type: event_window, fact: cardiac_events, when_fact: cardiac_events_when, window_days: 182,"
        " label: heart attack, unstable angina or uncontrolled arrhythmia}\n"
    )
    path = tmp_path / "trial.yaml"
    path.write_text(text.replace(block, flow), encoding="utf-8")
    with pytest.raises(TrialFileError) as raised:
        load_trial(path)
    message = str(raised.value)
    assert f"trial.yaml:{_line_of(path, 'label: heart attack, unstable angina')}:" in message
    assert "unstable angina or uncontrolled arrhythmia: unknown parameter" in message


def test_rule_parameters_are_checked_by_type_and_name(tmp_path):
    def mutate(data):
        rules = {c["id"]: c["rule"] for c in data["criteria"]}
        rules["age"]["min"] = "ten"
        rules["age"]["maximum"] = 70
        rules["cardiac"]["rules"][1]["checks"][0]["minimum"] = 50
        rules["drug_allergy"]["facts"]["drug_allergy"]["maybe"] = "pass"
        rules["renal_function"].pop("sex_fact")

    message = _error(tmp_path, mutate)
    assert "criteria.0.rule.min: must be a number" in message
    assert "criteria.0.rule.maximum: unknown parameter" in message
    assert "rules.1.checks.0.minimum: unknown parameter" in message
    assert "drug_allergy.maybe: answers are yes, no and unknown" in message
    assert "rule.sex_fact: missing" in message


def test_a_label_may_be_a_language_mapping(tmp_path):
    def mutate(data):
        rule = next(c for c in data["criteria"] if c["id"] == "age")["rule"]
        rule["label"] = {"en": "Age", "zh": "年龄"}

    trial = load_trial(_write(tmp_path, mutate))
    assert trial.criterion("age").rule["label"] == {"en": "Age", "zh": "年龄"}


def test_the_summary_mapping_names_facts_the_trial_asks_for(tmp_path):
    def mutate(data):
        data["summary"]["facts"]["age"] = "age_years"
        data["summary"]["facts"]["telepathy"] = "age"
        data["summary"]["drug_classes"]["blood_thinners"] = ["anticoagulant"]
        data["summary"]["extra"] = 1

    message = _error(tmp_path, mutate)
    assert "summary.facts.age: no step asks for the fact 'age_years'" in message
    assert "summary.facts.telepathy: unknown finding" in message
    assert "summary.drug_classes.blood_thinners: no step asks for this fact" in message
    assert "summary.extra: unknown key" in message


def test_answer_words_accept_only_yes_no_and_not_an_answer(tmp_path):
    def mutate(data):
        data["steps"]["consent_compliance"]["answer_words"]["maybe"] = {"en": ["perhaps"]}

    assert "answer_words" in _error(tmp_path, mutate)


@pytest.mark.parametrize("step", ["contraception_male", "contraception_female", "consent_compliance"])
@pytest.mark.parametrize(
    "text, expected",
    [
        ("其他都没有", None),  # meant for the list before: asked again, never a refusal
        ("以上都没有", None),
        ("nothing else", None),
        ("没问题", "yes"),
        ("不愿意", "no"),
        ("no", "no"),
    ],
)
def test_a_reply_meant_for_another_question_is_not_a_refusal(step, text, expected):
    """A caregiver's "其他都没有" (nothing else) arriving at "would that be
    acceptable?" knocked an eligible boy out; now it is no answer at all."""
    from datetime import date

    from bot.screening.answers import parse_step

    trial = load_trial(DEFAULT_TRIAL_FILE)
    parsed = parse_step(trial.steps[step], text, date(2026, 12, 2), trial)[trial.steps[step].primary_fact]
    if expected is None:
        assert parsed.unclear, parsed
    else:
        assert not parsed.unclear and parsed.value == expected, parsed


@pytest.mark.parametrize(
    "step, text, expected",
    [
        ("consent_compliance", "不愿意来，其他都没有", "no"),
        ("consent_compliance", "unwilling to attend, nothing else", "no"),
        ("contraception_female", "yes, on the pill, nothing else", "yes"),
    ],
)
def test_a_clear_answer_beside_nothing_else_still_counts(step, text, expected):
    """From a review: 'nothing else' must not erase a refusal said in the same message."""
    from datetime import date

    from bot.screening.answers import parse_step

    trial = load_trial(DEFAULT_TRIAL_FILE)
    parsed = parse_step(trial.steps[step], text, date(2026, 12, 2), trial)[trial.steps[step].primary_fact]
    assert not parsed.unclear and parsed.value == expected, parsed


def test_summary_worded_steps_must_be_steps_with_answer_words(tmp_path):
    def mutate(data):
        data["summary"]["worded_steps"] = ["age"]

    assert "worded_steps" in _error(tmp_path, mutate)

"""Chinese beside every English text: messages, the trial's texts (bot/trials/NCT05617859.zh.yaml,
merged in by the lead engineer), the phrases and role patterns Chinese users type, and Chinese
conversations held in-process (tests/dialogue_driver.py).

Until the trial's Chinese is merged into the trial file, conversations with the trial file itself
get Chinese messages but English questions; the tests that need Chinese questions build the merged
trial in a temporary file with scripts/i18n_check.py.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import date
from pathlib import Path

import jinja2
import pytest
import yaml
from dialogue_driver import Chat
from jinja2 import meta, nodes

from bot.messages import choices, messages, render
from bot.parsing.registry import PARSERS
from bot.parsing.yes_no import parse_yes_no
from bot.roles import patient_sex, read_role
from bot.screening.contact import consent_answer
from bot.screening.groups import says_none
from bot.trial import DEFAULT_TRIAL_FILE, get_trial, load_trial
from scripts import reply_for

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 25)


def _load_check_script():
    # `scripts` is tests/scripts.py here, so the check script is loaded from its file.
    spec = importlib.util.spec_from_file_location("i18n_check", ROOT / "scripts" / "i18n_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["i18n_check"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


i18n = _load_check_script()
TRIAL_DATA = i18n.load_yaml(DEFAULT_TRIAL_FILE)
# The Chinese is in the trial file beside the English (scripts/i18n_merge.py folded the
# translation file in); a new translation file would add to it.
ZH = {**i18n.translations_in(i18n.load_yaml(DEFAULT_TRIAL_FILE)), **i18n.load_yaml(i18n.side_file(DEFAULT_TRIAL_FILE))}
ROLES = ("patient", "caregiver", "physician")
_CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def zh_trial(tmp_path_factory):
    """The trial file with the Chinese texts merged in beside the English ones."""
    path = tmp_path_factory.mktemp("trial") / "NCT05617859.yaml"
    path.write_text(yaml.safe_dump(i18n.merged(TRIAL_DATA, ZH), allow_unicode=True, sort_keys=False), "utf-8")
    return load_trial(path)


_NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+|(?<![0-9A-Za-z])[0-9A-F]{4}-[0-9A-F]{4}(?![0-9A-Za-z])"
)  # e-mail addresses, reference numbers


def english_in(text: str) -> list[str]:
    """English words left in a Chinese text (allowed terms, e-mail addresses and reference numbers aside)."""
    return i18n.english_words(_NOT_WORDS.sub(" ", text))


# ---------------------------------------------------------------- the trial's texts
def test_every_text_of_the_trial_file_has_chinese_and_every_chinese_key_matches_a_text():
    report = i18n.check(TRIAL_DATA, ZH)
    assert report.missing == [], report.missing
    assert report.unmatched == [], report.unmatched
    assert report.wrong == [], report.wrong
    assert report.texts > 400  # every question, hint, example, plain, why, glossary entry, label, FAQ ...


def test_the_check_names_what_is_missing_and_what_matches_nothing():
    import copy

    trial = copy.deepcopy(TRIAL_DATA)
    trial["steps"]["age"]["hint"] = trial["steps"]["age"]["hint"]["en"]  # English only again
    trial["button_sets"]["yes_no"] = trial["button_sets"]["yes_no"]["en"]
    zh = {k: v for k, v in ZH.items() if k != "steps.age.hint"}
    zh["steps.no_such_step.hint"] = "没有这个问题"
    zh["button_sets.yes_no"] = ["是", "否"]
    report = i18n.check(trial, zh)
    assert report.missing == ["steps.age.hint"]
    assert report.unmatched == ["steps.no_such_step.hint"]
    assert report.wrong and report.wrong[0][0] == "button_sets.yes_no" and not report.ok


def test_the_command_line_check_passes(capsys):
    assert i18n.main([str(DEFAULT_TRIAL_FILE), "--english"]) == 0
    out = capsys.readouterr().out
    assert "missing Chinese: 0" in out and "match nothing: 0" in out and "English words: 0" in out


def test_chinese_trial_texts_keep_no_english_words_but_the_allowed_terms():
    assert i18n.english_left(ZH) == []


def test_chinese_trial_texts_have_no_spaces_between_chinese_characters():
    folded = [
        p for p, v in ZH.items() if isinstance(v, str) and re.search(r"[\u3400-\u9fff，。；：？！] [\u3400-\u9fff]", v)
    ]
    assert folded == []


# Numbers the Chinese leaves out on purpose: °F (not used in China) and creatinine written in
# μmol/L, as Chinese labs report it (0.9 mg/dL is 80 μmol/L).
EXPECTED_NUMBER_CHANGES = {
    "steps.fever.short": ["101.3"],
    "steps.fever.text.patient": ["101.3"],
    "steps.fever.text.caregiver": ["101.3"],
    "steps.summary.example": ["0.9"],
    "steps.renal_labs.example": ["0.9"],
}


def test_every_number_of_the_english_text_is_in_the_chinese_one():
    assert dict(i18n.number_mismatches(TRIAL_DATA, ZH)) == EXPECTED_NUMBER_CHANGES


def test_the_merged_trial_loads_and_asks_every_question_in_chinese(zh_trial):
    for step in zh_trial.steps.values():
        for role in step.roles:
            for minor in (False, True):
                question = step.question(role, "zh", minor=minor)
                assert _CJK.search(question) and not english_in(question), (step.id, role, question)
            assert len(step.buttons_in("zh")) == len(step.buttons_in("en"))
        assert not english_in(step.hint_in("zh")) and not english_in(step.example_in("zh")), step.id
        if step.short:
            assert not english_in(step.short_in("patient", "zh")), step.id
    for criterion in zh_trial.criteria:
        assert _CJK.search(criterion.plain_in("zh")) and _CJK.search(criterion.why_in("zh")), criterion.id
        assert criterion.source == next(c for c in TRIAL_DATA["criteria"] if c["id"] == criterion.id)["source"]
    assert zh_trial.title == TRIAL_DATA["trial"]["title"]["en"]  # the English name stays the trial's title
    assert zh_trial.context("zh")["title"] == ZH["trial.title"]


@pytest.mark.parametrize("minor", [False, True])
def test_the_chinese_activity_buttons_read_as_ecog_0_to_4(zh_trial, minor):
    labels = zh_trial.steps["ecog"].buttons_in("zh", minor=minor)
    grades = [PARSERS["ecog"](label, TODAY).value["ecog"] for label in labels]
    assert grades == [0, 1, 2, 3, 4], list(zip(labels, grades, strict=True))


def test_the_chinese_yes_no_and_checklist_buttons_read_as_what_they_say(zh_trial):
    assert [parse_yes_no(b).value for b in zh_trial.button_sets["yes_no"]["zh"]] == ["yes", "no", "unknown"]
    assert [PARSERS["sex"](b, TODAY).value for b in zh_trial.button_sets["sex"]["zh"]] == ["male", "female"]
    for name in ("checklist", "none_or_some"):
        none, some = zh_trial.button_sets[name]["zh"]
        assert says_none(none, [none]) and not says_none(some, [some]), name


# ---------------------------------------------------------------- messages
def test_every_message_has_a_chinese_text_of_the_same_kind():
    for key, value in messages().items():
        assert "zh" in value and value["zh"], key
        assert type(value["zh"]) is type(value["en"]), key
        if isinstance(value["en"], list):
            assert len(value["zh"]) == len(value["en"]), key
            assert choices(key, "zh") == value["zh"]


_ENV = jinja2.Environment()
_TAGS = re.compile(r"\{%-?\s*(if|elif|else|endif|for|endfor)\b")


def template_names(source: str) -> set[str]:
    """Every variable and attribute path a template reads ("trial.contact.hours", "row.verdict")."""
    tree = _ENV.parse(source)
    names = set(meta.find_undeclared_variables(tree))
    for node in tree.find_all(nodes.Getattr):
        parts, inner = [node.attr], node.node
        while isinstance(inner, nodes.Getattr):
            parts.append(inner.attr)
            inner = inner.node
        if isinstance(inner, nodes.Name):
            names.add(".".join([inner.name, *reversed(parts)]))
    return names


# The doctor's table names each criterion by its plain wording in Chinese (the English by its id).
EXPECTED_NAME_DIFFERENCES = {"physician_table": ({"row.id"}, {"row.plain"})}


@pytest.mark.parametrize("key", sorted(k for k, v in messages().items() if isinstance(v["en"], str)))
def test_a_chinese_template_reads_the_same_variables_with_the_same_control_structure(key):
    en, zh = messages()[key]["en"], messages()[key]["zh"]
    only_en, only_zh = template_names(en) - template_names(zh), template_names(zh) - template_names(en)
    assert (only_en, only_zh) == EXPECTED_NAME_DIFFERENCES.get(key, (set(), set()))
    assert _TAGS.findall(en) == _TAGS.findall(zh)
    assert i18n.numbers(en) <= i18n.numbers(zh), key  # "about 10 minutes", "under 14", "138 0013 8000"
    assert english_in(zh) == [], key


def _samples(full: bool) -> dict:
    """Values for every variable a message names; ``full`` False gives the empty branches."""
    rows = [
        {
            "question": "请问您今年多少岁？",
            "answer": "45岁",
            "id": "age",
            "plain": "年龄在10至70岁之间",
            "source_ref": "入选标准第1条",
            "verdict": verdict,
            "reason": "需研究团队核实" if verdict == "uncertain" else "",
            "failed": verdict == "fail",
        }
        for verdict in ("pass", "fail", "uncertain", "pending", "not_applicable", "not_asked")
    ]
    return {
        "number": 3,
        "total": 14,
        "question": "请问您今年多少岁？",
        "text": "示例文字",
        "items": ["第一项", "第二项"],
        "hint": "请告诉我年龄（周岁）。",
        "example": "45岁",
        "facts": [{"label": "年龄", "text": "45岁"}, {"label": "体重", "text": "72 kg"}],
        "why": "这项研究获批的入组年龄是10至70岁。",
        "changes": [{"label": "年龄", "new": "54", "old": "45" if full else None}],
        "when": "工作日上午" if full else None,
        "plain": "年龄在10至70岁之间",
        "recheck": "2026-12-14" if full else None,
        "pending": ["肾功能达到要求", "肝功能达到要求"] if full else [],
        "review": ["以前治疗的副作用已经缓解"],
        "more": 2 if full else 0,
        "reference": "0973-A638",
        "rows": rows if full else [],
    }


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("role", ROLES)
def test_every_chinese_template_renders_with_the_values_its_english_one_gets(zh_trial, role, full, monkeypatch):
    monkeypatch.setenv("TRIAL_CONTACT_PHONE", "0371-6558 7777")
    monkeypatch.setenv("TRIAL_CONTACT_EMAIL", "study@example.org")
    for key, value in messages().items():
        if not isinstance(value["en"], str):
            continue
        for trial in (get_trial(), zh_trial):
            assert render(key, trial, role, language="en", **_samples(full))
            text = render(key, trial, role, language="zh", **_samples(full))
            assert "{{" not in text and "{%" not in text, key
            if trial is zh_trial:
                assert english_in(text) == [], (key, text)
                assert not re.search(r"[\u3400-\u9fff，。；：？！] [\u3400-\u9fff]", text), (key, text)


def test_the_consent_in_chinese_says_what_china_s_pipl_asks(zh_trial):
    for role in ROLES:
        text = render("ask_consent", zh_trial, role, language="zh")
        for words in (
            "敏感个人信息",
            "单独同意",
            "只用于",
            "只有研究团队",
            "365天",
            "撤回同意",
            "删除我的数据",
            "是否同意",
        ):
            assert words in text, (role, words)
    for role in ("patient", "caregiver"):
        assert "14周岁" in render("ask_consent", zh_trial, role, language="zh")
        assert "父母或其他监护人" in render("ask_consent", zh_trial, role, language="zh")
    assert "转诊" in render("ask_consent", zh_trial, "physician", language="zh")


def test_a_knock_out_in_chinese_is_kind_and_never_says_anyone_is_eligible(zh_trial):
    for role in ROLES:
        text = render("knockout", zh_trial, role, language="zh", plain="年龄在10至70岁之间", recheck=None)
        assert "可能无法参加" in text and "并不是对" in text and "评判" in text and "主治医生" in text
    for key in ("outcome_likely_eligible", "outcome_needs_review", "closing"):
        text = render(key, zh_trial, "patient", language="zh", pending=[], review=["肝功能达到要求"], reference="1")
        assert not any(w in text for w in ("符合条件", "可以参加", "能参加这项研究", "已入组")), (key, text)
    assert "研究团队" in render("outcome_likely_eligible", zh_trial, "patient", language="zh", pending=[])


# ---------------------------------------------------------------- conversations (the trial file as it is)
def test_a_chinese_conversation_gets_chinese_from_the_first_message_to_consent():
    chat = Chat()
    chat.send("你好，我在医院网站上看到了仑伐替尼治疗肉瘤的临床研究")
    assert chat.conversation.language == "zh"
    assert chat.replies[0].startswith("您好！") and "预筛" in chat.replies[0]
    assert chat.replies[-1] == "请问今天是谁来回答这些问题？"
    assert chat.buttons == ["我是患者本人", "我是家长、家属或照护人", "我是医生"]
    chat.send("我是患者本人")
    assert chat.conversation.role == "patient" and chat.conversation.stage == "consent"
    assert "敏感个人信息" in chat.said and "单独同意" in chat.said and chat.buttons == ["我同意", "我不同意"]
    chat.send("我同意")
    assert chat.conversation.stage == "screening" and chat.screening.language == "zh"
    assert chat.replies[0].startswith("谢谢您！我们开始吧")
    assert chat.replies[-1].startswith("第1题（共约")


@pytest.mark.parametrize("button", ["我是患者本人", "我是家长、家属或照护人", "我是医生"])
def test_each_chinese_role_button_settles_the_role(button):
    chat = Chat()
    chat.send("你好")
    chat.send(button)
    assert chat.conversation.stage == "consent" and "您是否同意？" in chat.replies[-1]
    assert chat.conversation.role == {"我是患者本人": "patient", "我是医生": "physician"}.get(button, "caregiver")


def test_no_consent_in_chinese_stores_nothing():
    chat = Chat()
    chat.send("您好")
    chat.send("我是他妈妈")
    assert chat.conversation.role == "caregiver" and "父母或其他监护人" in chat.said
    chat.send("我不同意")
    assert chat.record()["outcome"] == "declined" and chat.conversation.stage == "ended"
    assert "没有保存任何健康信息" in chat.said


def test_a_hint_is_confirmed_in_chinese():
    chat = Chat()
    chat.send("你好")
    chat.send("我儿子得了骨肉瘤")
    assert chat.conversation.stage == "role_check" and "替患者回答" in chat.said
    assert chat.buttons == ["是", "不是"]
    chat.send("是")
    assert chat.conversation.role == "caregiver" and chat.conversation.stage == "consent"


def test_a_greeting_at_the_consent_step_is_not_consent():
    chat = Chat()
    chat.send("你好")
    chat.send("我是患者本人")
    chat.send("你好")
    assert chat.conversation.stage == "consent" and chat.screening is None


def test_deleting_in_chinese_waits_for_the_chinese_yes_button():
    chat = Chat()
    for text in ("你好", "我是患者本人", "我同意", "45岁"):
        chat.send(text)
    chat.send("请删除我的数据")
    assert chat.conversation.confirm == "delete" and chat.buttons == ["是的，全部删除", "不，返回继续"]
    chat.send("不，返回继续")
    assert chat.conversation.confirm is None and "什么都没有改动" in chat.said
    chat.send("撤回同意")
    chat.send(chat.buttons[0])
    assert chat.turns[-1].effects.erase and chat.screening is None and "都已删除" in chat.said


def test_switching_to_english_and_back():
    chat = Chat()
    chat.send("你好")
    chat.send("请用英文")
    assert chat.conversation.language == "en" and "continue in English" in chat.said
    chat.send("说中文")
    assert chat.conversation.language == "zh" and "用中文" in chat.said


# ---------------------------------------------------------------- conversations (the merged trial)
PATIENT_ANSWERS_ZH = [
    ("多少岁", "45岁"),
    ("肉瘤（", "是的，骨肉瘤，已经转移到肺了"),
    ("阿帕替尼（艾坦）", "用过，吃了8个月安罗替尼"),
    ("又长大", "是的，又长大了"),
    ("其他癌症", "没有"),
    ("平常一天", "活动完全正常，没有任何限制"),
    ("高血压", "没有"),
    ("男性还是女性", "男"),
    ("避孕", "是"),
    ("知情同意书", "愿意"),
    ("输过血", "没有"),
    ("以上都没有", "以上都没有"),
    ("和您联系吗", "李伟，138 0013 8000，工作日上午"),
    ("怎么称呼", "李伟"),
    ("电话号码", "13800138000"),
    ("什么时间", "工作日上午"),
]


def test_a_whole_patient_screening_in_chinese(zh_trial):
    chat = Chat(trial=zh_trial)
    for text in ("你好", "我是患者本人", "我同意"):
        chat.send(text)
    said = []
    while chat.conversation.stage != "ended":
        said += chat.replies
        answer = reply_for(chat.replies, PATIENT_ANSWERS_ZH)
        assert answer is not None, chat.replies[-1:]
        chat.send(answer)
        assert chat.sent < 40
    said += chat.replies
    record = chat.record()
    assert record["outcome"] == "likely_eligible" and record["language"] == "zh"
    assert record["contact"]["phone"] == "+8613800138000"
    for text in said:
        assert english_in(text) == [], text
    everything = "\n".join(said)
    assert "预筛编号是" in everything and "您的回答副本" in everything and "待核实" in everything
    assert "这并不代表已经获得研究名额" in everything


def test_a_knock_out_in_chinese_names_the_requirement(zh_trial):
    chat = Chat(trial=zh_trial)
    for text in ("你好", "我是患者本人", "我同意", "75岁"):
        chat.send(text)
    assert chat.record()["outcome"] == "not_eligible"
    assert "可能无法参加这项研究，因为研究要求年龄在10至70岁之间" in chat.said
    assert english_in(chat.said) == []


def test_why_glossary_and_faq_in_chinese(zh_trial):
    chat = Chat(trial=zh_trial)
    for text in ("你好", "我是患者本人", "我同意"):
        chat.send(text)
    chat.send("为什么要问这个？", intent="why_ask", confidence=0.9)
    assert "10至70岁" in chat.said and "多少岁" in chat.replies[-1]
    chat.send("什么是升白针？")
    assert "G-CSF" in chat.said and "白细胞" in chat.said
    chat.send("参加研究要花多少钱？")
    assert "费用" in chat.said and "登记信息里没有说明" in chat.said
    chat.send("我该不该停药？")
    assert "不能提供医疗建议" in chat.said


def test_a_young_patient_s_parent_gets_the_young_wording_in_chinese(zh_trial):
    chat = Chat(trial=zh_trial)
    for text in ("你好", "我是他妈妈", "同意", "12岁"):
        chat.send(text)
    # "我是他妈妈" already said she is the parent: the guardian question is not asked again
    assert "父母或其他监护人" not in chat.said and chat.screening.facts["guardian_present"]["value"] == "yes"
    chat.send("是的，骨肉瘤，转移到肺了")
    chat.send("吃过阿帕替尼")
    chat.send("是，长大了")
    while "平常一天" not in chat.said and chat.sent < 20:
        chat.send("以上都没有" if "以上都没有" in chat.said else "没有")
    assert "孩子" in chat.said and "照常上学" in " ".join(chat.buttons)


# ---------------------------------------------------------------- who is answering
@pytest.mark.parametrize(
    "text,role,explicit",
    [
        ("我是患者本人", "patient", True),
        ("我是病人", "patient", True),
        ("本人", "patient", True),
        ("我是一名骨肉瘤患者", "patient", True),
        ("患者是我", "patient", True),
        ("我得了骨肉瘤", "patient", False),
        ("我是他妈妈", "caregiver", True),
        ("我是患者家属", "caregiver", True),
        ("我是患者的女儿", "caregiver", True),
        ("我是孩子他爸", "caregiver", True),
        ("我是骨肉瘤患者的妈妈", "caregiver", True),
        ("替我爸问一下", "caregiver", True),
        ("我不是患者本人，我是他女儿", "caregiver", True),
        ("我是他妈妈，他的医生说安罗替尼没用了", "caregiver", True),
        ("我儿子得了骨肉瘤", "caregiver", False),
        ("我家孩子得了尤文肉瘤", "caregiver", False),
        ("我是肿瘤科医生", "physician", True),
        ("我是郑大一附院骨肿瘤科的医生", "physician", True),
        ("我是她的主治医生", "physician", True),
        ("我们科有个病人", "physician", True),
        ("帮我的病人问一下", "physician", True),
        ("医生", "physician", True),
    ],
)
def test_chinese_role_statements(text, role, explicit):
    reading = read_role(text)
    assert (reading.role, reading.explicit) == (role, explicit)


@pytest.mark.parametrize("text", ["我的医生说安罗替尼没效果了", "你好，我的医生让我来问问", "我有个问题"])
def test_a_chinese_patient_mentioning_their_doctor_or_a_question_is_given_no_role(text):
    assert read_role(text).role is None


def test_my_doctor_said_is_not_taken_for_a_doctor_in_a_conversation():
    chat = Chat()
    chat.send("你好，我的医生说安罗替尼不管用了，让我来看看这个研究")
    assert chat.conversation.role is None and "请问今天是谁" in chat.said


@pytest.mark.parametrize(
    "text,sex", [("我是他妈妈", "male"), ("我是她爸爸", "female"), ("帮我妈咨询一下", "female"), ("我外孙女", "female")]
)
def test_the_patient_s_sex_from_who_they_are(text, sex):
    assert patient_sex(text) == sex


# ---------------------------------------------------------------- phrases
@pytest.mark.parametrize(
    "text,act",
    [
        ("删除我的数据", "delete"),
        ("把我的信息删掉", "delete"),
        ("我要撤回同意", "delete"),
        ("我不想做了", "stop"),
        ("停止", "stop"),
        ("算了", "stop"),
        ("从头开始", "restart"),
        ("我说过了", "told_you"),
        ("前面已经说过了", "told_you"),
        ("您好", "greet"),
        ("谢谢医生", "thank"),
        ("好的，再见", "goodbye"),
        ("这个研究要多久？", "question"),
        ("费用怎么算", "question"),
        ("请问在哪里做", "question"),
        # answers, not requests or questions
        ("安罗替尼已经停止了", "answer"),
        ("手术不做了", "answer"),
        ("没什么问题", "answer"),
        ("几个月前做过化疗", "answer"),
        ("还没呢", "answer"),
        ("我看不懂英文", "answer"),
    ],
)
def test_what_a_chinese_message_does(text, act):
    from bot.dialogue.message import Message
    from bot.dialogue.understanding import classify

    assert classify(Message(text), answers_question=False).kind == act


@pytest.mark.parametrize(
    "text,agreed",
    [
        ("好的，请联系我", True),
        ("可以，上午打给我", True),
        ("不好意思，可以联系我", True),
        ("上午不方便，下午可以", True),
        ("没问题", True),
        ("不用了，谢谢", False),
        ("别打电话", False),
        ("不需要", False),
        ("以后再说吧", False),
    ],
)
def test_chinese_answers_to_being_contacted(text, agreed):
    assert consent_answer(text) is agreed


@pytest.mark.parametrize(
    "text,agreed",
    [("我同意", True), ("同意", True), ("好的", True), ("可以", True), ("嗯", True), ("不好意思，我同意", True),
     ("我不同意", False), ("不可以", False), ("拒绝", False), ("算了", False),
     ("你好", None), ("不了解这个研究", None)],
)  # fmt: skip
def test_chinese_answers_to_the_health_information_consent(text, agreed):
    chat = Chat()
    chat.send("你好")
    chat.send("我是患者本人")
    chat.send(text)
    stage = chat.conversation.stage
    assert {"screening": True, "ended": False, "consent": None}[stage] is agreed, chat.said


@pytest.mark.parametrize("text", ["以上都没有", "均无", "都没有", "否认以上", "其他都没有，就是两个月前心梗"])
def test_none_of_these_in_chinese(text):
    assert says_none(text, [text])

"""Chinese answers before the parsers (bot/parsing/zh.py): numerals only before a unit or time word."""

import pytest

from bot.parsing.performance import parse_amputation
from bot.parsing.zh import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("四十五岁", "45 岁"),
        ("两年前", "2 年前"),
        ("三个月前", "3 个月前"),
        ("半年前", "6 个月前"),
        ("一年半", "18 个月"),
        ("十天前", "10 天前"),
        ("我45岁", "我 45 岁"),
        ("二甲双胍", "二甲双胍"),
        ("看一下", "看一下"),
        ("I'm 45", "I'm 45"),
    ],
)
def test_numerals_become_digits_only_before_a_unit_or_time_word(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "value"), [("没有截肢", "no"), ("未截肢", "no"), ("做过截肢", "yes"), ("不久前截肢了", "yes")]
)
def test_a_chinese_cue_negates_the_term_after_it_but_not_a_pseudo_negation(text, value):
    assert parse_amputation(text).value == value


@pytest.mark.parametrize(("text", "kg"), [("65公斤", 65), ("130斤", 65), ("一百三十斤", 65), ("体重 70 千克", 70)])
def test_chinese_weights_in_kilograms_and_jin(text, kg):
    from bot.parsing.vitals import parse_weight

    assert parse_weight(normalize(text)).value == kg


@pytest.mark.parametrize(
    ("text", "cm"),
    [
        ("身高170厘米", 170),
        ("175公分", 175),
        ("身高1.75米", 175),
        ("一米七", 170),
        ("身高一米六五", 165),
        ("1米75", 175),
        ("一米零五", 105),
        ("165cm", 165),
    ],
)
def test_chinese_heights_in_centimetres_metres_and_the_spoken_one_metre_seventy(text, cm):
    from bot.parsing.vitals import parse_height

    parsed = parse_height(normalize(text))
    assert parsed.value == cm and parsed.confidence >= 0.9, parsed


@pytest.mark.parametrize("text", ["其他都没有", "其它的没有", "他们说不清"])
def test_a_word_holding_a_pronoun_says_nothing_of_the_sex(text):
    """Found in a phone conversation: '其他都没有' (nothing else) at the sex question was read as male (他)."""
    from bot.parsing.demographics import parse_sex

    assert parse_sex(text).value is None


@pytest.mark.parametrize(
    "question, entry",
    [("这个研究要花钱吗？", "costs"), ("这个研究在哪里做", "travel"), ("介绍一下这个研究", "what_is_study")],
)
def test_chinese_questions_find_their_faq_answer(question, entry):
    """'这个研究要花钱吗？' was answered with the description of the study ('这个研究' outweighed '花钱')."""
    from bot.dialogue.answers_help import find_faq
    from bot.trial import get_trial

    assert find_faq(get_trial(), question)["id"] == entry

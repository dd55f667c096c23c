"""rasa_extensions/bilingual_tokenizer.py: Chinese words are kept (Rasa's own
WhitespaceTokenizer drops every all-Chinese word as an "emoji"), trial words
stay whole, full-width punctuation separates words, offsets point into the text."""

from __future__ import annotations

import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from rasa_extensions.bilingual_tokenizer import BilingualTokenizer


def words(text: str, tokenizer_class=BilingualTokenizer) -> list[str]:
    tokenizer = tokenizer_class(tokenizer_class.get_default_config())
    tokens = tokenizer.tokenize(Message({"text": text}), "text")
    for token in tokens:
        assert text[token.start : token.end] == token.text, (text, token.text, token.start)
    return [token.text for token in tokens]


def test_rasas_whitespace_tokenizer_drops_chinese_words_which_is_why_ours_exists():
    assert words("血小板 95", WhitespaceTokenizer) == ["95"]
    assert words("血小板 95") == ["血小板", "95"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我是患者本人", ["我", "是", "患者本人"]),
        ("吃过安罗替尼和仑伐替尼", ["吃", "过", "安罗替尼", "和", "仑伐替尼"]),
        (
            "男，62岁，UPS伴肺转移，安罗替尼后PD，ECOG 1，ANC 1.2",
            ["男", "62", "岁", "UPS", "伴", "肺转移", "安罗替尼", "后", "PD", "ECOG", "1", "ANC", "1.2"],
        ),
        ("血小板 95×10⁹/L，肌酐120μmol/L", ["血小板", "95×10⁹/L", "肌酐", "120μmol/L"]),
    ],
)
def test_chinese_and_mixed_messages_are_cut_into_words(text, expected):
    assert words(text) == expected


def test_english_is_cut_as_rasa_cuts_it():
    for text in ["I'm 45, had anlotinib", "platelets 90 x10^9/L", "yes please 😀"]:
        assert words(text) == words(text, WhitespaceTokenizer)

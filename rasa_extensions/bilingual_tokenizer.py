"""Tokenizer for English and Simplified Chinese in one NLU model.

Latin text is split as Rasa's WhitespaceTokenizer splits it; every run of CJK
characters inside a token is segmented with jieba, with the trial's own words
(drug names and brands, sarcoma types, lab names) from a user dictionary so
that 安罗替尼 or 骨肉瘤 stay one token. Mixed tokens such as "62岁" or
"UPS伴肺转移" are cut at the script boundary first. Offline: jieba's bundled
dictionary plus ours, no downloads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"\w", re.UNICODE)
# Full-width punctuation separates words even between digits and Latin
# letters ("ECOG 1，ANC 1.2"), where WhitespaceTokenizer keeps "1，ANC" whole.
_FULL_WIDTH_PUNCT = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014-\u2026]+")
_LATIN_EDGE_PUNCT = "，。、；：！？,.;:!?（）()“”\"' "

# Rasa's emoji pattern spans U+24C2..U+1F251, which contains every CJK
# character: its WhitespaceTokenizer drops any all-Chinese word as an "emoji"
# ("血小板 95" keeps only "95"). Ours covers the emoji and pictograph blocks only.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u200c\u200d\ufe0f]+",
    flags=re.UNICODE,
)

_JIEBA: dict[str, Any] = {}


def _jieba(dictionary_path: str) -> Any:
    """One jieba tokenizer per dictionary folder, loaded once per process."""
    if dictionary_path not in _JIEBA:
        import jieba

        jieba.setLogLevel(60)
        tok = jieba.Tokenizer()
        folder = Path(dictionary_path)
        if folder.is_dir():
            for path in sorted(folder.glob("*.dict")):
                tok.load_userdict(str(path))
        _JIEBA[dictionary_path] = tok
    return _JIEBA[dictionary_path]


def _pieces(text: str) -> list[tuple]:
    """(piece, offset) of a token cut at every CJK / non-CJK boundary."""
    out, pos = [], 0
    for m in _CJK.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], pos, False))
        out.append((m.group(), m.start(), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], pos, False))
    return out


def _latin_tokens(piece: str, start: int) -> list[Token]:
    """Keep "62", "UPS", "1.2"; cut at full-width punctuation and drop bare
    punctuation (，。)."""
    out, pos = [], 0
    for part in _FULL_WIDTH_PUNCT.split(piece):
        at = piece.index(part, pos) if part else pos
        pos = at + len(part)
        stripped = part.strip(_LATIN_EDGE_PUNCT)
        if stripped and _WORD.search(stripped):
            out.append(Token(stripped, start + at + part.index(stripped)))
    return out


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BilingualTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer for Latin text, jieba for runs of Chinese."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **WhitespaceTokenizer.get_default_config(),
            # folder of jieba user dictionaries (*.dict: "word [freq] [tag]")
            "dictionary_path": "data/jieba",
        }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.emoji_pattern = _EMOJI

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if not any(_CJK.search(t.text) or _FULL_WIDTH_PUNCT.search(t.text) for t in tokens):
            return tokens
        seg = _jieba(self._config["dictionary_path"])
        out: list[Token] = []
        for t in tokens:
            if not _CJK.search(t.text) and not _FULL_WIDTH_PUNCT.search(t.text):
                out.append(t)
                continue
            for piece, offset, cjk in _pieces(t.text):
                if not cjk:
                    out.extend(_latin_tokens(piece, t.start + offset))
                    continue
                for word, w_start, _ in seg.tokenize(piece):
                    if word.strip():
                        out.append(Token(word, t.start + offset + w_start))
        return out

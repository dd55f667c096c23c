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

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if not any(_CJK.search(t.text) for t in tokens):
            return tokens
        seg = _jieba(self._config["dictionary_path"])
        out: list[Token] = []
        for t in tokens:
            if not _CJK.search(t.text):
                out.append(t)
                continue
            for piece, offset, cjk in _pieces(t.text):
                if not cjk:
                    # keep "62", "UPS", "1.2"; drop bare punctuation (，。)
                    stripped = piece.strip("，。、；：！？,.;:!?（）()“”\"' ")
                    if stripped and _WORD.search(stripped):
                        start = t.start + offset + piece.index(stripped)
                        out.append(Token(stripped, start))
                    continue
                for word, w_start, _ in seg.tokenize(piece):
                    if word.strip():
                        out.append(Token(word, t.start + offset + w_start))
        return out

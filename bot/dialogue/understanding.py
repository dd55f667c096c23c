"""What the person is doing with a message: answering, asking, correcting, stopping ...

The intent classifier's guess is one input; the words are another, and for
anything destructive (delete, stop, start over) the words must be there:
"15, I told you" is never a request to delete, whatever a classifier says.
A message that answers the current question clearly is an answer, unless
it is plainly a question or a request. The phrase lists are data
(bot/data/phrases.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot.dialogue.message import Message
from bot.texts import phrases

ANSWER, DELETE, STOP, RESTART = "answer", "delete", "stop", "restart"
WHY, EXPLAIN, CORRECT, HANDOFF, QUESTION = "why", "explain", "correct", "handoff", "question"
BOT, GREET, THANK, GOODBYE, TOLD_YOU, LANGUAGE, ROLE = (
    "bot",
    "greet",
    "thank",
    "goodbye",
    "told_you",
    "language",
    "role",
)
# Intents that name an interruption; the confidence needed before the words are trusted less.
_INTENT_ACTS = {
    "why_ask": WHY,
    "explain_term": EXPLAIN,
    "correct_answer": CORRECT,
    "human_handoff": HANDOFF,
    "out_of_scope": QUESTION,
    "faq": QUESTION,
    "bot_challenge": BOT,
    "greet": GREET,
    "thank": THANK,
    "goodbye": GOODBYE,
}
_INTENT_CONFIDENCE = 0.5
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Act:
    kind: str
    detail: str | None = None  # the language to switch to, the role stated


def normalised(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


@cache  # phrases are data, a few thousand at most; re's own cache holds 512
def _pattern(phrase: str) -> re.Pattern:
    escaped = re.escape(phrase)
    if _CJK.search(phrase):
        return re.compile(escaped)
    return re.compile(rf"(?<![A-Za-z0-9']){escaped}(?![A-Za-z0-9'])")


def matched(text: str, name: str) -> str | None:
    """The longest phrase of the list found in the text (whole words for Latin script)."""
    text = normalised(text)
    hits = [p for p in phrases(name) if _pattern(p).search(text)]
    return max(hits, key=len) if hits else None


def whole(text: str, name: str) -> bool:
    """The message is nothing but one of the list's phrases (punctuation aside)."""
    bare = re.sub(r"[^\w\s'\u3400-\u9fff]", " ", normalised(text))
    return " ".join(bare.split()) in phrases(name)


def leaning(text: str, yes_list: str, no_list: str) -> bool | None:
    """Which of two phrase lists the message leans to (the longest phrase wins: "no problem" is yes)."""
    yes, no = matched(text, yes_list), matched(text, no_list)
    if yes and (not no or len(yes) > len(no)):
        return True
    if no and (not yes or len(no) >= len(yes)):
        return False
    return None


def is_question(text: str) -> bool:
    stripped = text.strip()
    if stripped.endswith(("?", "？")):
        return True
    lowered = normalised(stripped)
    for start in phrases("question_starts"):
        if _CJK.search(start):
            if start in phrases("question_end_only"):
                if lowered.rstrip("。.!！ ").endswith(start):
                    return True
            elif start in lowered:
                return True
        elif lowered.startswith(start + " "):
            return True
    return False


def script_language(text: str) -> str | None:
    """zh when the message has Chinese characters (physicians mix in English terms), en for Latin only."""
    if _CJK.search(text):
        return "zh"
    if _LATIN.search(text):
        return "en"
    return None


def language_request(text: str) -> str | None:
    """An explicit request to switch language ("English please", "说中文")."""
    if len(normalised(text)) > 40:
        return None
    if matched(text, "to_zh"):
        return "zh"
    if matched(text, "to_en"):
        return "en"
    return None


def destructive(message: Message) -> str | None:
    """delete / stop / restart when the words say so (the classifier alone never suffices)."""
    text = message.text
    if matched(text, "delete"):
        return DELETE
    if matched(text, "restart"):
        return RESTART
    if matched(text, "stop") or whole(text, "stop_whole"):
        return STOP
    return None


def classify(message: Message, *, answers_question: bool) -> Act:
    """What the message does, given whether it is a clear answer to the current question."""
    text = message.text
    wanted = language_request(text)
    if wanted:
        return Act(LANGUAGE, wanted)
    harmful = destructive(message)
    # "Delete" is never part of an answer; "no more questions about my heart" beside an
    # answer is not a request to stop: the answer is taken.
    if harmful == DELETE or (harmful and (not answers_question or whole(text, "stop_whole"))):
        return Act(harmful)
    # Before reading an answer: "I have to go" once read as a yes to the sarcoma question.
    if matched(text, "leaving"):
        return Act(GOODBYE)  # "sorry I have to go, bye"
    if matched(text, "back_again"):
        return Act(GREET)  # "我回来了，刚才问到哪了？" is not an answer: the question is asked again
    if answers_question and not is_question(text):
        return Act(ANSWER)
    if matched(text, "told_you"):
        return Act(TOLD_YOU)
    if matched(text, "why_ask") or whole(text, "why_ask"):
        return Act(WHY)
    for kind, name in ((GREET, "greeting"), (THANK, "thanks"), (GOODBYE, "goodbye")):
        if whole(text, name):
            return Act(kind)
    if matched(text, "a_person"):
        return Act(HANDOFF)
    act = _INTENT_ACTS.get(message.intent or "")
    if act and message.confidence >= _INTENT_CONFIDENCE and act not in (GREET, THANK, GOODBYE):
        return Act(act)
    if is_question(text):
        return Act(QUESTION)
    return Act(ANSWER)

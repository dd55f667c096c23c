"""Hold every persona's conversation through a transport, then judge each against its persona."""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from conversation_harness.personas import Persona
from conversation_harness.speaker import Speaker, asked, question_key
from conversation_harness.transports import UNAVAILABLE, message_markers

MAX_MESSAGES = 60  # a persona gives up after this many messages (the conversation "did not end")
LOOP = 3  # the same question asked this many times is a loop
_PROGRESS = re.compile(r"question (\d+) of about (\d+)", re.IGNORECASE)
SUMMARY_PROMPTS = ("case summary", "病例摘要")  # words of the physician's summary question, per language
CONFIRMATIONS = ("confirm_delete", "confirm_stop", "confirm_restart")


@dataclass
class Exchange:
    said: str  # what the persona typed
    intent: str | None
    replies: list  # what the assistant answered
    buttons: list
    erased: bool = False
    errors: list = field(default_factory=list)
    answered: str | None = None  # the question this message answered, if it was an answer


@dataclass
class Conversation:
    persona: Persona
    sender: str
    exchanges: list = field(default_factory=list)
    ended: bool = False
    unscripted: list = field(default_factory=list)
    seconds: float = 0.0
    crashed: str | None = None  # the harness or transport itself failed


def hold(persona: Persona, transport, today: date, max_messages: int = MAX_MESSAGES) -> Conversation:
    """One persona's whole conversation."""
    started = time.monotonic()
    sender = transport.sender(persona.name)
    conversation = Conversation(persona, sender)
    session = transport.session(sender)
    speaker = Speaker(persona, today)
    replies, ended = [], False
    try:
        while speaker.sent < max_messages:
            say = speaker.next_message(replies, ended)
            if say is None:
                break
            turn = session.send(say)
            conversation.exchanges.append(
                Exchange(say.text, say.intent, turn.replies, turn.buttons, turn.erased, turn.errors, speaker.answered)
            )
            replies, ended = turn.replies, turn.ended
    except Exception as error:  # noqa: BLE001 - one persona's failure is reported, the others still run
        conversation.crashed = f"{type(error).__name__}: {error}"
    conversation.ended = ended
    conversation.unscripted = speaker.unscripted
    conversation.seconds = time.monotonic() - started
    return conversation


# ---------------------------------------------------------------- judging
@dataclass
class Verdict:
    """What came of one persona's conversation, beside what its persona expects."""

    persona: Persona
    conversation: Conversation
    record: dict | None
    got: str
    agree: bool
    unsafe: bool = False
    lost_lead: str | None = None
    unwanted_deletion: str | None = None
    couldnt_process: int = 0
    problems: list = field(default_factory=list)  # other expectations not met, and conversation faults
    messages: int = 0
    from_summary: int | None = None

    @property
    def expected(self) -> str:
        return self.persona.outcome


def _digits(text) -> str:
    return re.sub(r"\D", "", str(text or ""))


def _same_phone(stored, given) -> bool:
    stored, given = _digits(stored), _digits(given)
    return len(given) >= 7 and len(stored) >= 7 and (stored.endswith(given[-11:]) or given.endswith(stored[-11:]))


def _reachable(record: dict | None, contact: dict) -> bool:
    """The stored contact reaches the persona: its phone, or its e-mail."""
    stored = (record or {}).get("contact") or {}
    if contact.get("phone") and _same_phone(stored.get("phone"), contact["phone"]):
        return True
    return bool(contact.get("email")) and str(stored.get("email") or "").lower() == str(contact["email"]).lower()


def _matches(value, expected) -> bool:
    if isinstance(expected, dict):
        return isinstance(value, dict) and all(_matches(value.get(k), v) for k, v in expected.items())
    if isinstance(expected, str) and isinstance(value, str):
        return expected.lower() == value.lower()
    return value == expected


def unsafe_pass(expect: dict, record: dict | None, got: str) -> bool:
    """A clearly ineligible person let through: the outcome says likely eligible, or the
    criterion that should knock them out was scored ``pass``. (An ineligible person sent to
    staff review, with that criterion ``uncertain``, disagrees with the registry but is not
    a pass: a person decides; it still counts against outcome agreement.)"""
    if expect["outcome"] != "not_eligible":
        return False
    if got == "likely_eligible":
        return True
    criterion = expect.get("knocked_out")
    verdict = (((record or {}).get("criteria") or {}).get(criterion) or {}).get("verdict") if criterion else None
    return verdict == "pass"


def judge(conversation: Conversation, records: list, markers: dict) -> Verdict:
    persona, expect = conversation.persona, conversation.persona.expect
    record = records[-1] if records else None  # the newest screening of the conversation
    exchanges = conversation.exchanges
    erased = any(e.erased for e in exchanges)
    got = record["outcome"] if record else ("deleted" if erased else "no_record")
    verdict = Verdict(persona, conversation, record, got, got == expect["outcome"])
    verdict.messages = len(exchanges)
    verdict.unsafe = unsafe_pass(expect, record, got)
    problems = verdict.problems

    # Unwanted deletions: data erased where the persona did not confirm a delete it asked for.
    previous: list = []
    for exchange in exchanges:
        if exchange.erased:
            prompted = any(m in r.lower() for m in markers["confirm_delete"] for r in previous[-1:])
            if not (prompted and expect.get("deleted")):
                verdict.unwanted_deletion = f'"{exchange.said}" deleted the data' + (
                    "" if prompted else " with no confirmation asked"
                )
                break
        previous = exchange.replies
    began = any(m in r.lower() for e in exchanges for r in e.replies for m in markers["consent_thanks"])
    if verdict.unwanted_deletion is None and record is None and began and not expect.get("deleted"):
        verdict.unwanted_deletion = "the screening began (consent thanked), but no record of it is left"

    # Leads without contact: the persona agreed to be contacted, but no way to reach it was stored.
    contact = persona.contact
    if persona.wants_contact:
        typed = any(_same_phone(e.said, contact.get("phone")) for e in exchanges if contact.get("phone")) or any(
            contact.get("email") and contact["email"].lower() in e.said.lower() for e in exchanges
        )
        is_lead = got in ("likely_eligible", "needs_review")
        if (typed or is_lead) and not _reachable(record, contact):
            stored = (record or {}).get("contact") or {}
            verdict.lost_lead = (
                f"consented to contact ({'typed the details' if typed else 'a lead'}), stored: "
                f"phone={stored.get('phone')!r} email={stored.get('email')!r}"
            )

    # Replies that are real failures.
    for exchange in exchanges:
        verdict.couldnt_process += sum(1 for r in exchange.replies for m in markers[UNAVAILABLE] if m in r.lower())
        for error in exchange.errors:
            problems.append(f'error {error} after "{exchange.said}"')

    # The persona's other expectations.
    wanted = expect.get("knocked_out")
    if wanted and got == "not_eligible" and record and record["criteria"].get(wanted, {}).get("verdict") != "fail":
        failed = [c for c, e in record["criteria"].items() if e.get("verdict") == "fail"]
        problems.append(f"knocked out on {failed}, expected {wanted}")
    if expect.get("contact") in ("phone", "email") and not (
        record and _reachable(record, {expect["contact"]: contact.get(expect["contact"])})
    ):
        stored = (record or {}).get("contact") or {}
        problems.append(f"expected its {expect['contact']} to reach staff; stored {stored}")
    stored = (record or {}).get("contact") or {}
    if persona.wants_contact and _reachable(record, contact):
        # Who to ask for and when: what the persona said, not a piece of another answer.
        name, when = str(contact.get("name") or ""), str(contact.get("time") or "")
        if name and name.lower() not in str(stored.get("name") or "").lower():
            problems.append(f"contact name stored as {stored.get('name')!r}, said {name!r}")
        said_when = str(stored.get("preferred_time") or "").strip().lower()
        if when and said_when and when.lower() not in said_when and said_when not in when.lower():
            problems.append(f"best time stored as {stored.get('preferred_time')!r}, said {when!r}")
    if expect.get("contact") == "none" and record:
        stored = record.get("contact") or {}
        if stored.get("phone") or stored.get("email"):
            problems.append(f"declined contact, but contact details were stored: {stored}")
    if expect.get("callback") is not None and record:
        if bool((record.get("contact") or {}).get("callback_requested")) != bool(expect["callback"]):
            problems.append(f"callback_requested should be {expect['callback']}")
    expected_role = expect.get("role", persona.role)
    if record and record.get("role") != expected_role:
        problems.append(f"recorded as {record.get('role')}, is {expected_role}")
    for criterion, value in (expect.get("values") or {}).items():
        entry = (record or {}).get("criteria", {}).get(criterion) or {}
        stored = entry.get("value")
        if isinstance(stored, dict) and not isinstance(value, dict):
            stored = stored.get(criterion)  # {age: 12, guardian_present: yes}: the criterion's own fact
        if not _matches(stored, value):
            problems.append(f"{criterion} value {entry.get('value')!r}, expected {value!r}")
    for criterion, wanted_verdict in (expect.get("verdicts") or {}).items():
        entry = (record or {}).get("criteria", {}).get(criterion) or {}
        if entry.get("verdict") != wanted_verdict:
            problems.append(f"{criterion} verdict {entry.get('verdict')!r}, expected {wanted_verdict!r}")
    if expect.get("max_messages") and verdict.messages > expect["max_messages"]:
        problems.append(f"{verdict.messages} messages, at most {expect['max_messages']} expected")
    start = next(
        (i for i, e in enumerate(exchanges) if e.answered and any(p in e.answered for p in SUMMARY_PROMPTS)), None
    )
    if start is not None and conversation.ended:
        verdict.from_summary = len(exchanges) - start
        if expect.get("max_from_summary") and verdict.from_summary > expect["max_from_summary"]:
            problems.append(
                f"{verdict.from_summary} messages from the summary to the end, at most {expect['max_from_summary']}"
            )
    everything = "\n".join(r for e in exchanges for r in e.replies).lower()
    for text in expect.get("never_said") or []:
        if text.lower() in everything:
            problems.append(f"said {text!r}")
    for text in expect.get("said") or []:
        if text.lower() not in everything:
            problems.append(f"never said {text!r}")

    # A confirmation (delete, stop, start over) the persona never meant to ask for.
    own_keys = [alt for alternatives, _ in persona.answers[: persona.own] for alt in alternatives]
    for exchange in exchanges:
        for kind in CONFIRMATIONS:
            prompted = [r for r in exchange.replies for m in markers[kind] if m in r.lower()]
            if prompted and not any(key in asked(prompted[-1]) for key in own_keys):
                problems.append(f'asked "{kind.replace("confirm_", "")}?" after "{exchange.said}" (not asked for)')

    # Faults of the conversation itself.
    silent = [e.said for e in exchanges if not e.replies]
    if silent:
        problems.append(f'no reply at all to {len(silent)} message(s), first: "{silent[0]}"')
    if conversation.crashed:
        problems.append(f"harness/transport failure: {conversation.crashed}")
    elif not conversation.ended:
        problems.append(f"did not end within {MAX_MESSAGES} messages")
    if "(set trial_contact" in everything:
        problems.append("showed a contact placeholder '(set TRIAL_CONTACT_...)'")
    totals = [int(m.group(2)) for e in exchanges for r in e.replies for m in _PROGRESS.finditer(r)]
    if any(later > earlier for earlier, later in zip(totals, totals[1:], strict=False)):
        problems.append(f"'Question N of about M' grew: {totals}")
    repeats = Counter(question_key(e.replies[-1]) for e in exchanges if e.replies)
    for question, times in repeats.items():
        if times >= LOOP and question:
            problems.append(f"asked {times} times: {question[:90]!r}")
    for question, times in Counter(q[:120] for q in conversation.unscripted).items():
        problems.append(
            f"persona had no scripted answer for: {question!r}" + (f" ({times} times)" if times > 1 else "")
        )
    return verdict


def run_all(personas: list, transport, today: date | None = None, concurrency: int = 1, progress: bool = True):
    """Every persona's conversation, then the records, then the verdicts (in persona order)."""
    today = today or date.today()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(personas), desc=f"converse ({transport.name})", unit="persona", file=sys.stderr)

    def one(persona):
        conversation = hold(persona, transport, today)
        if bar is not None:
            bar.update(1)
        return conversation

    if concurrency > 1:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            conversations = list(pool.map(one, personas))
    else:
        conversations = [one(persona) for persona in personas]
    if bar is not None:
        bar.close()
    records = transport.records()
    markers = {key: message_markers(key) for key in (UNAVAILABLE, "consent_thanks", *CONFIRMATIONS)}
    return [judge(c, records.get(c.sender, []), markers) for c in conversations]

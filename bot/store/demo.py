"""A demonstration lead store: a few hundred realistic, mixed screenings for
trying the dashboard as a coordinator would (``python -m bot.staff
seed-demo``), and for the tests.

Every screening is a real conversation through the screening core (:mod:`bot.screening`)
(the answers drawn from pools of what patients, carers and referring
physicians write: clear, hedged, knock-outs, unclear), so the stored values,
verdicts, reasons, review items and pending checks are what the bot really
records. Then the record is moved back in time (up to ~6 weeks), and older
leads get some follow-up: calls, notes, callbacks (some overdue), owners
(from the existing staff accounts) and staff decisions on review items.

Nothing here is real: names and phone numbers are made up; every
conversation id starts with ``demo-``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import yaml

from bot.store.leads import LeadStore

DEMO_PREFIX = "demo-"

# Answers per step id: (weight, text). A step without a pool is answered "not sure".
PATIENT: dict[str, list[tuple[float, str]]] = {
    "age": [(5, "I'm 45"), (3, "62"), (2, "I am 34 years old"), (1, "17"), (0.3, "I'm 75"), (0.5, "in my forties")],
    "guardian": [(1, "yes, my mum is here and agrees")],
    "diagnosis": [
        (4, "yes, osteosarcoma that spread to my lungs"),
        (3, "yes"),
        (2, "yes, synovial sarcoma in my leg, it has spread"),
        (2, "liposarcoma, they said it can't be operated on"),
        (0.3, "no, it's breast cancer"),
        (0.8, "not sure"),
    ],
    "diagnosis_extent": [
        (3, "it has spread to the lungs"),
        (2, "the surgeon said it can't be removed"),
        (1, "I don't know"),
    ],
    "prior_tki": [
        (4, "yes I took anlotinib for 8 months"),
        (3, "yes, apatinib"),
        (2, "yes"),
        (1.2, "some pill, not sure which"),
        (0.3, "no, never"),
        (0.4, "yes, doxorubicin"),
    ],
    "tki_progression": [(5, "yes it grew again"), (1, "I think so"), (0.5, "no, it's stable")],
    "recent_therapy": [
        (6, "no"),
        (2, "last chemo was 2 months ago"),
        (0.2, "yes, chemo about 10 days ago"),
        (0.6, "radiotherapy, I'm not sure when"),
    ],
    "recent_therapy_when": [(2, "about 2 months ago"), (1, "I can't remember")],
    "planned_local_therapy": [(8, "no"), (0.5, "maybe, the doctor mentioned surgery"), (0.15, "yes")],
    "other_malignancy": [
        (8, "no"),
        (1, "I had skin cancer removed 2 years ago"),
        (0.3, "yes, breast cancer last year"),
    ],
    "other_malignancy_detail": [(1, "basal cell carcinoma on my nose, removed"), (1, "I don't remember the type")],
    "ecog": [
        (3, "Fully active, no restrictions"),
        (3, "Can't do heavy work, but can do light work"),
        (0.5, "Up and about more than half the day, can't work"),
        (0.3, "In bed or a chair all day"),
        (0.5, "I get tired but I manage"),
    ],
    "amputation": [(2, "no"), (1, "yes, my leg was amputated")],
    "cardiac_events": [
        (7, "never"),
        (2, "no heart problems"),
        (0.15, "a heart attack about 2 months ago"),
        (0.5, "heart problem, not sure what"),
    ],
    "cardiac_events_when": [(1, "about 3 months ago")],
    "bleeding": [(8, "no"), (1, "a nosebleed last month")],
    "bleeding_when": [(1, "last month")],
    "thrombosis": [(8, "no"), (0.3, "I had a blood clot in my leg last year")],
    "thrombosis_when": [(1, "last year")],
    "anticoagulants": [(7, "no"), (1, "aspirin 100 mg a day"), (0.2, "I take warfarin"), (0.6, "not that I know of")],
    "anticoagulant_detail": [(1, "warfarin 3 mg a day"), (1, "I don't know the dose")],
    "hypertension": [
        (6, "no"),
        (2, "yes but controlled, 130/80"),
        (0.15, "yes, it's 160/100 even on tablets"),
        (0.6, "I think it's a bit high"),
    ],
    "blood_pressure_reading": [(2, "135/85"), (1, "I don't know")],
    "infection": [(8, "no"), (0.3, "I had a cold last week")],
    "infection_when": [(1, "last week")],
    "fever": [(8, "no"), (0.1, "38.9 two days ago")],
    "immunosuppressants": [(8, "no"), (1, "prednisone 5 mg a day"), (0.5, "only an asthma inhaler")],
    "immunosuppressant_detail": [(1, "prednisone 5 mg a day")],
    "viral": [(5, "no"), (3, "no, I don't have HIV or hepatitis"), (0.4, "I have hepatitis B"), (1, "not sure")],
    "viral_detail": [(1, "hepatitis B, I don't know the viral load")],
    "drug_allergy": [(8, "no"), (1, "not that I know of")],
    "toxicity_ongoing": [(6, "no"), (1, "still a bit tired from the chemo")],
    "other_serious_condition": [(8, "no"), (1, "I have diabetes, it's controlled")],
    "sex": [(5, "male"), (5, "female")],
    "can_become_pregnant": [(3, "no"), (2, "yes")],
    "pregnant": [(9, "no"), (0.2, "yes")],
    "contraception_female": [(9, "yes"), (1, "not sure")],
    "contraception_male": [(9, "yes"), (1, "not sure")],
    "consent_compliance": [(9, "yes"), (0.4, "probably")],
    "counts_support": [(8, "no"), (0.15, "I had a transfusion last week")],
    "life_expectancy": [(1, "yes")],
    "measurable_disease": [(1, "yes")],
}
CAREGIVER = {
    **PATIENT,
    "age": [(3, "he is 15"), (2, "she's 12"), (3, "my father is 58"), (0.3, "my son is 9")],
    "diagnosis": [(4, "yes, Ewing sarcoma, it has spread"), (3, "yes"), (1, "not sure")],
    "prior_tki": [(4, "yes, anlotinib"), (2, "yes"), (1, "some tablets, I don't know the name")],
}
PHYSICIAN = {
    **PATIENT,
    "summary": [
        (
            3,
            "62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, PLT 210, Hb 128 g/L, Cr 0.9 mg/dL, 72 kg",
        ),
        (2, "34F osteosarcoma femur with lung mets, progressed on apatinib after 7 months, ECOG 0, BP 128/82"),
        (2, "48 yo M synovial sarcoma, unresectable, PD on anlotinib, ECOG 1, Hb 95 g/L, PLT 88"),
        (1, "55F leiomyosarcoma, liver mets, PD on apatinib, ECOG 2, BP 150/95"),
        (2, "skip"),
    ],
    "age": [(3, "62"), (2, "48"), (0.3, "71")],
    "diagnosis": [(3, "osteosarcoma with lung metastases"), (2, "UPS of the thigh, inoperable"), (1, "chondrosarcoma")],
    "prior_tki": [(4, "anlotinib, PD after 6 months"), (2, "apatinib 500 mg, progressed"), (1, "no")],
    "tki_progression": [(5, "yes"), (1, "stable disease")],
    "exclusion_checklist": [(7, "none apply"), (2, "yes, some apply")],
    "cardiac_tests": [(4, "LVEF 60%, QTcF 430 ms"), (0.3, "EF 45%"), (1, "not done yet")],
    "viral": [
        (4, "HIV neg, HBsAg neg, HCV Ab neg"),
        (0.3, "HBsAg positive, HBV DNA 800 IU/mL"),
        (1, "HBsAg pos, HBV DNA <20 IU/mL"),
    ],
    "viral_detail": [(1, "HBV DNA 800 IU/mL")],
    "toxicity_resolved": [(5, "yes"), (1, "grade 2 neuropathy")],
    "life_expectancy": [(5, "yes"), (0.3, "about 2 months")],
    "measurable_disease": [(5, "yes"), (1, "not sure, bone only")],
    "lab_panel": [
        (
            4,
            "PLT 150, Hb 110 g/L, TBIL 10 umol/L, AST 30 U/L, ALT 25 U/L, INR 1.0, PT 12 s (ULN 13), "
            "APTT 30 s (ULN 40), urine protein negative, TSH 2.1 (ULN 4.2)",
        ),
        (0.4, "PLT 90, Hb 85 g/L, ALT 3 x ULN, AST 2 x ULN, INR 1.1, urine protein 1+"),
        (1, "not available yet"),
    ],
    "blood_count_labs": [(3, "ANC 2.5, PLT 180, Hb 115 g/L"), (0.4, "ANC 1.2, PLT 70, Hb 80 g/L")],
    "renal_labs": [(3, "Cr 80 umol/L"), (0.4, "creatinine 2.1 mg/dL")],
    "weight": [(1, "68 kg")],
    "liver_labs": [(3, "TBIL 12 umol/L (ULN 21), AST 35 U/L (ULN 40), ALT 30 U/L (ULN 40)"), (1, "ALT 3 x ULN")],
    "liver_mets": [(2, "no"), (1, "yes")],
    "coagulation_labs": [(3, "INR 1.0, PT 12 s (ULN 13), APTT 32 s (ULN 40)")],
    "urine_labs": [(3, "negative"), (1, "2+")],
    "urine_24h": [(1, "0.8 g/24h")],
    "thyroid_labs": [(3, "TSH 2.1 (ULN 4.2)"), (1, "TSH 6.5 (ULN 4.2)")],
    "thyroid_free": [(1, "FT3 and FT4 normal")],
}
POOLS = {"patient": PATIENT, "caregiver": CAREGIVER, "physician": PHYSICIAN}

# Made-up contact names (bot/data/demo_names.yaml): pinyin and Chinese characters.
NAMES: list[str] = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "data" / "demo_names.yaml").read_text(encoding="utf-8")
)["names"]
TIMES = ["weekday mornings", "after 6 pm", "any time", "weekends", "lunchtime", "mornings before 10", ""]
NOTES = [
    "Daughter answers the phone; patient prefers Mandarin.",
    "Has the latest CT report; will bring it to the visit.",
    "Asked about travel costs to Zhengzhou.",
    "Referring doctor at a county hospital; prefers WeChat contact.",
    "Wants to discuss with family first.",
    "Confirmed apatinib from the discharge letter.",
]


def _pick(rng: random.Random, pool: list[tuple[float, str]]) -> str:
    weights = [w for w, _ in pool]
    return rng.choices([text for _, text in pool], weights=weights)[0]


def _phone(rng: random.Random) -> str:
    return f"+86 1{rng.choice('3589')}{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def _when(rng: random.Random, now: datetime) -> datetime:
    """When a demo lead came in: most in the last two weeks, some up to six."""
    days = rng.expovariate(1 / 9)
    return now - timedelta(days=min(days, 42), minutes=rng.randint(0, 600))


def screening_record(rng: random.Random, now: datetime | None = None, today: date | None = None) -> dict:
    """One demo screening through the screening core, moved back in time."""
    from bot.screening.record import build_record
    from bot.screening.state import STOPPED, ScreeningState
    from bot.screening.turns import answer_current, start
    from bot.trial import get_trial

    trial = get_trial()
    now = now or datetime.now(timezone.utc)
    today = today or now.date()
    role = rng.choices(["patient", "caregiver", "physician"], weights=[55, 20, 25])[0]
    conversation = f"{DEMO_PREFIX}{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
    declined = rng.random() < 0.05
    state = ScreeningState.new(trial.id, conversation, role, consented=not declined)
    state.screening_id = uuid.UUID(int=rng.getrandbits(128)).hex
    pools = POOLS[role]
    stop_after = rng.randint(2, 12) if rng.random() < 0.1 else None
    transcript, answered = [], 0
    contact_answers = {
        "contact_consent": "yes" if rng.random() < 0.85 else "no",
        "contact_details": f"{rng.choice(NAMES)}, {_phone(rng)}, {rng.choice(TIMES) or 'any time'}",
        "contact_name": rng.choice(NAMES),
        "contact_method": _phone(rng),
        "contact_time": rng.choice(TIMES) or "any time",
    }
    question = None if declined else start(trial, state, today)
    while question is not None and answered < 120:
        if stop_after is not None and answered >= stop_after:
            state.phase = STOPPED
            break
        if question.step_id in contact_answers:
            text = contact_answers[question.step_id]
        else:
            pool = pools.get(question.step_id)
            text = _pick(rng, pool) if pool else "not sure"
        transcript.append({"speaker": "bot", "text": question.text or question.step_id})
        transcript.append({"speaker": "user", "text": text})
        applied, question = answer_current(trial, state, text, today)
        state = applied.state
        answered += 1
    if not declined and rng.random() < 0.04:
        state.contact.callback_requested = True
    record = build_record(trial, state, transcript)
    return _move_in_time(record, _when(rng, now), rng)


def _move_in_time(record: dict, started: datetime, rng: random.Random) -> dict:
    record["started_at"] = started.isoformat(timespec="seconds")
    at = started
    for turn in record.get("transcript") or []:
        at += timedelta(seconds=rng.randint(4, 40))
        turn["at"] = at.isoformat(timespec="seconds")
    if record.get("completed_at"):
        record["completed_at"] = at.isoformat(timespec="seconds")
    record.setdefault("language", "en")
    return record


def _follow_up(store: LeadStore, record: dict, rng: random.Random, staff: list[str], now: datetime) -> None:
    """What a study team would have done with an older lead by now."""
    sid = record["screening_id"]
    started = datetime.fromisoformat(record["started_at"])
    age = now - started
    consented = bool((record.get("contact") or {}).get("consented"))
    if not consented or record["outcome"] not in ("likely_eligible", "needs_review") or age < timedelta(hours=20):
        return
    who = rng.choice(staff) if staff else "demo"
    worked = min(now, started + timedelta(hours=rng.randint(4, 40)))
    if staff and rng.random() < 0.7:
        store.update_follow_up(sid, by=who, owner=who, now=worked)
    roll = rng.random()
    if roll < 0.25:
        store.log_call(sid, by=who, result=rng.choice(["no_answer", "left_message"]), now=worked)
    elif roll < 0.55:
        due = now + timedelta(hours=rng.choice([-30, -5, -1, 2, 5, 26, 50, 74]))
        store.log_call(
            sid, by=who, result="reached", note=rng.choice(NOTES), status="call_back", callback_at=due, now=worked
        )
    elif roll < 0.7:
        store.log_call(sid, by=who, result="reached", status="visit_booked", now=worked)
        store.add_note(sid, "Screening visit booked; bring the latest scans and blood results.", by=who, now=worked)
    elif roll < 0.75:
        store.log_call(sid, by=who, result="reached", status="not_interested", now=worked)
    elif roll < 0.78:
        store.update_follow_up(sid, by=who, status="enrolled", now=worked)
    if record["review_items"] and rng.random() < 0.3:
        item = next(i for i in store.get_screening(sid)["review_items"] if i["status"] == "open")
        store.resolve_review_item(
            item["id"], rng.choice(["pass", "pass", "fail"]), "Checked with the referring doctor.", who
        )


def seed(
    store: LeadStore,
    count: int = 300,
    *,
    seed: int = 15,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Fill ``store`` with ``count`` demo screenings; counts per outcome."""
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    staff = [u["username"] for u in store.staff_names()]
    counts: dict[str, int] = {}
    for n in range(count):
        record = screening_record(rng, now)
        store.save_screening(record)
        _follow_up(store, record, rng, staff, now)
        counts[record["outcome"]] = counts.get(record["outcome"], 0) + 1
        if progress:
            progress(n + 1)
    return counts

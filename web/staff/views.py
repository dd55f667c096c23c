"""The dashboard's pages. Each one needs a login and leaves an audit entry
(who, when, what: ids and counts, never health data; a search is audited by
what kind of search it was and how many leads it found, not by its text)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import NotFound as HTTPNotFound

from bot.describe import criterion_name, short_reason
from bot.outcome import OUTCOMES
from bot.store import AlreadyResolved, InvalidInput, NotFound
from bot.store.leads import NOBODY, NOTIFY_STATUSES
from bot.store.records import CALL_RESULTS, FOLLOW_UP_STATUSES, csv_cell, pending_ids, reference
from web.staff import present
from web.staff.app import t, texts
from web.staff.auth import _safe_next
from web.staff.forms import AccountForm, ActionForm, CallForm, EraseForm, FollowUpForm, NoteForm, ResolveForm
from web.staff.i18n import languages
from web.staff.settings import CALL_LIST_LIMIT, MAX_PAGE, PAGE_SIZE, REVIEW_PAGE_SIZE

blueprint = Blueprint("views", __name__)

SORTS = ("newest", "oldest", "callback", "status", "owner", "outcome")
AGES = {"1d": (timedelta(days=1), None), "7d": (timedelta(days=7), None), "30d": (timedelta(days=30), None)}
AGES.update({"gt7d": (None, timedelta(days=7)), "gt30d": (None, timedelta(days=30))})
CALLBACKS = ("overdue", "today", "upcoming", "set", "none")
CONSENT = ("yes", "no")
MAX_ARG = 100  # characters of any query argument
LOG_SHOWN = 8  # follow-up log entries shown before "show all"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def audit(action: str, target=None, detail: str = "") -> None:
    g.store.record_audit(current_user.username, action, target, detail)
    g.audited = True


def fail(code: int, key: str, **values):
    """Stop with a 400 or 404 whose message is in the staff member's language."""
    error = (BadRequest if code == 400 else HTTPNotFound)(description=t(key, **values))
    error.localised = True
    raise error


def _arg(name: str) -> str:
    raw = request.args.get(name) or ""
    if len(raw) > MAX_ARG:
        fail(400, "errors.arg_too_long", name=name, max=MAX_ARG)
    return raw.strip()


def _date_arg(name: str):
    from datetime import date

    raw = _arg(name)
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        fail(400, "errors.date", name=name)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        fail(400, "errors.date", name=name)


def _choice_arg(name: str, allowed) -> str | None:
    raw = _arg(name)
    if not raw:
        return None
    if raw not in allowed:
        fail(400, "errors.choice", name=name, allowed=", ".join(allowed))
    return raw


def _page(name: str = "page") -> int:
    raw = _arg(name) or "1"
    if not re.fullmatch(r"[0-9]{1,7}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        fail(400, "errors.page", name=name, max=MAX_PAGE)
    return int(raw)


def _owner_arg() -> tuple[str | None, str | None]:
    """(value for the URL, owner for the store): "me", "nobody" or a user name."""
    raw = _arg("owner")
    if not raw:
        return None, None
    if raw == "me":
        return raw, current_user.username
    if raw == "nobody":
        return raw, NOBODY
    if raw not in {u["username"] for u in g.store.staff_names()}:
        fail(400, "errors.owner")
    return raw, raw


def lead_filters() -> tuple[dict, dict]:
    """The list's filters from the query: (shown in URLs, given to the store)."""
    now = present.now_utc()
    shown: dict = {}
    store: dict = {}
    outcome = _choice_arg("outcome", OUTCOMES)
    if outcome:
        shown["outcome"] = store["outcome"] = outcome
    status = _choice_arg("status", FOLLOW_UP_STATUSES)
    if status:
        shown["status"] = store["follow_status"] = status
    review = _choice_arg("review", ("open", "none"))
    if review:
        shown["review"] = store["review_status"] = review
    owner_shown, owner = _owner_arg()
    if owner_shown:
        shown["owner"], store["owner"] = owner_shown, owner
    callback = _choice_arg("callback", CALLBACKS)
    if callback:
        shown["callback"] = callback
        start, end = present.day_bounds(now)
        if callback == "overdue":
            store["callback_to"] = now
        elif callback == "today":
            store["callback_from"], store["callback_to"] = start, end
        elif callback == "upcoming":
            store["callback_from"] = now
        else:
            store["callback_set"] = callback == "set"
    consent = _choice_arg("consent", CONSENT)
    if consent:
        shown["consent"] = consent
        store["consented"] = consent == "yes"
    age = _choice_arg("age", tuple(AGES))
    since, until = _date_arg("since"), _date_arg("until")
    if since and until and since > until:
        fail(400, "errors.since_after_until")
    if age:
        shown["age"] = age
        newer, older = AGES[age]
        store["since"] = now - newer if newer else None
        store["until"] = now - older if older else None
    if since:
        shown["since"] = since.isoformat()
        store["since"] = max(filter(None, [store.get("since"), _day_start(since)]))
    if until:
        shown["until"] = until.isoformat()
        limit = _day_end(until) - timedelta(microseconds=1)
        store["until"] = min(filter(None, [store.get("until"), limit]))
    q = _arg("q")
    if q:
        shown["q"] = store["search"] = q
    return shown, store


def _day_start(day) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=present.site_timezone()).astimezone(timezone.utc)


def _day_end(day) -> datetime:
    return _day_start(day) + timedelta(days=1)


def _search_kind(q: str) -> str:
    """What kind of search, for the audit (never the text itself)."""
    digits = re.sub(r"[^0-9]", "", q)
    if len(digits) >= 4 and re.fullmatch(r"[0-9\s+\-().]+", q):
        return "phone"
    if re.fullmatch(r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}", q) or re.fullmatch(r"[0-9a-f]{6,64}", q):
        return "reference"
    return "name"


def _filters_audit(shown: dict) -> str:
    parts = [f"{k}={v}" for k, v in shown.items() if k != "q"]
    if "q" in shown:
        parts.append(f"search={_search_kind(shown['q'])} ({len(shown['q'])} characters)")
    return ", ".join(parts)


def _back(default: str) -> str:
    return _safe_next(request.form.get("next") or default)


def _form_errors(form) -> None:
    if form.errors.get("csrf_token"):
        flash(t("errors.csrf.message"), "error")


def _lead_or_404(screening_id: str) -> dict:
    record = g.store.get_screening(screening_id) if len(screening_id) <= 100 else None
    if record is None:
        fail(404, "errors.no_lead")
    return record


def status_label(status: str | None) -> str:
    return texts().choice("follow_up.status", status)


def outcome_label(outcome: str | None) -> str:
    return texts().choice("outcome", outcome)


# --------------------------------------------------------------------------
# Leads
# --------------------------------------------------------------------------
@blueprint.route("/")
@login_required
def leads():
    shown, filters = lead_filters()
    sort = _choice_arg("sort", SORTS) or "newest"
    page = _page()
    total = g.store.count_matching(**filters)
    rows = g.store.list_screenings(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, sort=sort, details=True, **filters)
    without_outcome = {k: v for k, v in filters.items() if k != "outcome"}
    counts = g.store.count_screenings(**without_outcome)
    without_status = {k: v for k, v in filters.items() if k != "follow_status"}
    status_counts = g.store.count_screenings(by="follow_status", **without_status)
    now = present.now_utc()
    overdue = g.store.count_matching(callback_to=now)
    start, end = present.day_bounds(now)
    today = g.store.count_matching(callback_from=start, callback_to=end)
    mine = g.store.count_matching(owner=current_user.username)
    texts_ = texts()
    for r in rows:
        r["why"] = present.why(r, texts_)
        r["callback_state"] = present.callback_state(r["follow_up"]["callback_at"], now)
    audit(
        "view-leads",
        None,
        ", ".join(filter(None, [_filters_audit(shown), f"sort={sort}", f"page={page}", f"shown={len(rows)}"])),
    )
    if shown.get("q") and total == 1 and page == 1:
        flash(t("leads.one_found"), "info")
    return render_template(
        "leads.html",
        rows=rows,
        counts=counts,
        status_counts=status_counts,
        overdue=overdue,
        today=today,
        mine=mine,
        filters=shown,
        query={**shown, "sort": sort} if sort != "newest" else shown,
        sort=sort,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        first=(page - 1) * PAGE_SIZE + 1 if rows else 0,
        last=(page - 1) * PAGE_SIZE + len(rows),
        outcomes=OUTCOMES,
        statuses=FOLLOW_UP_STATUSES,
        sorts=SORTS,
        ages=tuple(AGES),
        callbacks=CALLBACKS,
        staff=g.store.staff_names(),
        action_form=ActionForm(),
        status_label=status_label,
        outcome_label=outcome_label,
        here=request.full_path.rstrip("?"),
    )


@blueprint.route("/leads/<screening_id>")
@login_required
def lead(screening_id: str):
    record = _lead_or_404(screening_id)
    audit("view-lead", screening_id)
    return render_template("lead.html", **_lead_context(record))


def _lead_context(record: dict) -> dict:
    items = [i for i in record["review_items"] if i["status"] == "open"]
    trial = record.get("trial_id")
    lang = texts().language
    pending = pending_ids(record)
    failed = [(cid, c) for cid, c in record["criteria"].items() if c["verdict"] == "fail"]
    log = record.get("follow_up_log") or []
    last_call = next((e for e in log if e["kind"] == "call"), None)
    groups: dict = {"open": [], "met": [], "not_asked": []}
    for cid, entry in record["criteria"].items():
        verdict = entry["verdict"]
        key = "met" if verdict in ("pass", "not_applicable") else "not_asked" if verdict == "not_asked" else "open"
        groups[key].append((cid, entry))
    return {
        "record": record,
        "criteria_groups": groups,
        "ref": reference(record["screening_id"]),
        "open_items": items,
        "item_reasons": {
            i["id"]: short_reason(
                i, i["answer"], (record["criteria"].get(i["criterion"]) or {}).get("confidence"), lang
            )
            for i in items
        },
        "resolved_items": [i for i in record["review_items"] if i["status"] == "resolved"],
        "forms": {i["id"]: ResolveForm(prefix=f"item{i['id']}") for i in items},
        "pending": pending,
        "failed": failed,
        "trial_id": trial,
        "log": log,
        "log_shown": LOG_SHOWN,
        "last_call": last_call,
        "callback_state": present.callback_state(record["follow_up"]["callback_at"]),
        "notifications": g.store.list_notifications(screening_id=record["screening_id"]),
        "follow_form": FollowUpForm(prefix="follow"),
        "call_form": CallForm(prefix="call"),
        "note_form": NoteForm(prefix="note"),
        "take_form": FollowUpForm(prefix="take"),
        "erase_form": EraseForm(prefix="erase"),
        "statuses": FOLLOW_UP_STATUSES,
        "call_results": tuple(CALL_RESULTS),
        "staff": g.store.staff_names(),
        "status_label": status_label,
        "outcome_label": outcome_label,
        "criterion_label": lambda cid: criterion_name(cid, trial, lang),
    }


@blueprint.route("/leads/<screening_id>/summary")
@login_required
def lead_summary(screening_id: str):
    """One printable page for the site visit (print stylesheet)."""
    record = _lead_or_404(screening_id)
    audit("view-lead-summary", screening_id)
    return render_template("lead_print.html", **_lead_context(record), printed_at=present.now_utc().isoformat())


@blueprint.route("/leads/<screening_id>/follow-up", methods=["POST"])
@login_required
def follow_up(screening_id: str):
    """Status, owner and callback time; "take" is the one-click "assign to me"."""
    take = "take-csrf_token" in request.form
    form = FollowUpForm(prefix="take" if take else "follow")
    target = _back(url_for("views.lead", screening_id=screening_id))
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    _lead_or_404(screening_id)
    changes: dict = {}
    if take:
        changes["owner"] = current_user.username
    else:
        status = (form.status.data or "").strip()
        if status:
            if status not in FOLLOW_UP_STATUSES:
                flash(t("errors.status"), "error")
                return redirect(target)
            changes["status"] = status
        owner = (form.owner.data or "").strip()
        if owner:
            changes["owner"] = None if owner == "nobody" else current_user.username if owner == "me" else owner
        if form.clear_callback.data:
            changes["callback_at"] = None
        elif (form.callback.data or "").strip():
            when = _callback_input(form.callback.data)
            if when is None:
                return redirect(target)
            changes["callback_at"] = when
    try:
        result = g.store.update_follow_up(screening_id, by=current_user.username, **changes)
    except (InvalidInput, NotFound) as error:
        flash(t("errors.follow_up", detail=str(error)), "error")
        return redirect(target)
    g.audited = True
    flash(_changes_message(result["changes"]), "info")
    return redirect(target)


def _callback_input(text: str) -> datetime | None:
    try:
        return present.parse_local_input(text)
    except ValueError:
        flash(t("errors.callback_time"), "error")
        return None


def _changes_message(changes: list[dict]) -> str:
    if not changes:
        return t("follow_up.nothing_changed")
    parts = []
    for c in changes:
        if c["kind"] == "status":
            parts.append(t("follow_up.changed.status", old=status_label(c["old"]), new=status_label(c["new"])))
        elif c["kind"] == "owner":
            parts.append(t("follow_up.changed.owner", new=c["new"] or t("follow_up.nobody")))
        elif c["kind"] == "callback":
            when = present.local_text(c["new"]) if c["new"] else ""
            parts.append(t("follow_up.changed.callback", when=when) if when else t("follow_up.changed.no_callback"))
    return t("follow_up.saved", changes=t("why.join").join(parts))


@blueprint.route("/leads/<screening_id>/calls", methods=["POST"])
@login_required
def record_call(screening_id: str):
    form = CallForm(prefix="call")
    target = _back(url_for("views.lead", screening_id=screening_id))
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    _lead_or_404(screening_id)
    result = (form.result.data or "").strip()
    if result not in CALL_RESULTS:
        flash(t("errors.call_result"), "error")
        return redirect(target + "#call-h")
    extra: dict = {}
    status = (form.status.data or "").strip()
    if status:
        if status not in FOLLOW_UP_STATUSES:
            flash(t("errors.status"), "error")
            return redirect(target)
        extra["status"] = status
    if (form.callback.data or "").strip():
        when = _callback_input(form.callback.data)
        if when is None:
            return redirect(target + "#call-h")
        extra["callback_at"] = when
    try:
        done = g.store.log_call(
            screening_id, by=current_user.username, result=result, note=form.note.data or "", **extra
        )
    except (InvalidInput, NotFound) as error:
        flash(t("errors.follow_up", detail=str(error)), "error")
        return redirect(target)
    g.audited = True
    message = t("call.saved", result=texts().choice("call.results", result))
    if done["changes"]:
        message += " " + _changes_message(done["changes"])
    flash(message, "info")
    return redirect(target)


@blueprint.route("/leads/<screening_id>/notes", methods=["POST"])
@login_required
def add_note(screening_id: str):
    form = NoteForm(prefix="note")
    target = _back(url_for("views.lead", screening_id=screening_id))
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target)
    _lead_or_404(screening_id)
    if not (form.text.data or "").strip():
        flash(t("errors.note_empty"), "error")
        return redirect(target + "#note-h")
    try:
        g.store.add_note(screening_id, form.text.data, by=current_user.username)
    except (InvalidInput, NotFound) as error:
        flash(t("errors.follow_up", detail=str(error)), "error")
        return redirect(target)
    g.audited = True
    flash(t("note.saved"), "info")
    return redirect(target)


@blueprint.route("/leads/<screening_id>/items/<int:item_id>/resolve", methods=["POST"])
@login_required
def resolve(screening_id: str, item_id: int):
    form = ResolveForm(prefix=f"item{item_id}")
    back_to_queue = request.form.get("back") == "review"
    target = _back(url_for("views.lead", screening_id=screening_id))
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(target + f"#item-{item_id}")
    decision, note = (form.decision.data or "").strip(), (form.note.data or "").strip()
    if decision not in ("pass", "fail"):
        flash(t("errors.decision"), "error")
        return redirect(target + f"#item-{item_id}")
    if not note:
        flash(t("errors.decision_note"), "error")
        return redirect(target + f"#item-{item_id}")
    item = g.store.get_review_item(item_id)
    if item is None or item["screening_id"] != screening_id:
        fail(404, "errors.no_item")
    try:
        result = g.store.resolve_review_item(item_id, decision, note, current_user.username)
    except AlreadyResolved:
        flash(t("resolve.already"), "error")
        return redirect(target)
    except (InvalidInput, NotFound) as error:
        flash(t("errors.follow_up", detail=str(error)), "error")
        return redirect(target)
    g.audited = True
    flash(_decision_message(result), "info")
    if back_to_queue and not request.form.get("next"):
        target = url_for("views.review")
    return redirect(target)


def _decision_message(result: dict) -> str:
    """What changed, in words: the criterion, the decision, the outcome."""
    name = criterion_name(result["criterion"], result.get("trial_id"), texts().language)
    text = t("resolve.done", name=name, decision=texts().choice("decision", result["decision"]))
    old, new, left = result["old_outcome"], result["new_outcome"], result["open_left"]
    if old != new:
        text += " " + t("resolve.outcome_changed", old=outcome_label(old), new=outcome_label(new))
    else:
        text += " " + t("resolve.outcome_same", outcome=outcome_label(new))
    if left:
        text += " " + texts().n("resolve.still_open", left)
    return text


@blueprint.route("/leads/<screening_id>/erase", methods=["POST"])
@login_required
def erase(screening_id: str):
    """A person's right to erasure: every row of their conversation in the lead
    store and the conversation store; the audit keeps ids and counts only."""
    record = _lead_or_404(screening_id)
    form = EraseForm(prefix="erase")
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("views.lead", screening_id=screening_id) + "#erase-h")
    if not form.confirm.data:
        flash(t("erase.tick"), "error")
        return redirect(url_for("views.lead", screening_id=screening_id) + "#erase-h")
    conversation_id = record.get("conversation_id")
    counts = g.store.delete_conversation(conversation_id, current_user.username)
    g.audited = True
    flash(
        t(
            "erase.done",
            conversation=conversation_id,
            screenings=counts["screenings"],
            answers=counts["answers"],
            transcript=counts["transcript"],
            events=counts["tracker_events"],
        ),
        "info",
    )
    return redirect(url_for("views.leads"))


# --------------------------------------------------------------------------
# Review queue
# --------------------------------------------------------------------------
@blueprint.route("/review")
@login_required
def review():
    queue_all = g.store.review_queue(limit=1)
    criterion = _choice_arg("criterion", tuple(queue_all["criteria"]) or ("-",))
    outcome = _choice_arg("outcome", OUTCOMES)
    owner_shown, owner = _owner_arg()
    q = _arg("q")
    page = _page()
    filters = {k: v for k, v in (("outcome", outcome), ("owner", owner), ("search", q or None)) if v}
    queue = g.store.review_queue(
        criterion=criterion, limit=REVIEW_PAGE_SIZE, offset=(page - 1) * REVIEW_PAGE_SIZE, **filters
    )
    shown = {k: v for k, v in (("criterion", criterion), ("outcome", outcome), ("owner", owner_shown), ("q", q)) if v}
    audit(
        "view-review",
        None,
        ", ".join(
            filter(
                None,
                [
                    _filters_audit(shown),
                    f"page={page}",
                    f"{queue['total_items']} open item(s) on {queue['total_leads']} lead(s)",
                ],
            )
        ),
    )
    lang = texts().language
    for lead_ in queue["leads"]:
        for item in lead_["items"]:
            item["short"] = short_reason(item, item["answer"], item.get("confidence"), lang)
    return render_template(
        "review.html",
        queue=queue,
        filters=shown,
        page=page,
        pages=max(1, -(-queue["total_leads"] // REVIEW_PAGE_SIZE)),
        forms={i["id"]: ResolveForm(prefix=f"item{i['id']}") for lead_ in queue["leads"] for i in lead_["items"]},
        outcomes=OUTCOMES,
        staff=g.store.staff_names(),
        outcome_label=outcome_label,
        status_label=status_label,
        here=request.full_path.rstrip("?"),
    )


# --------------------------------------------------------------------------
# Notifications
# --------------------------------------------------------------------------
@blueprint.route("/notifications")
@login_required
def notifications():
    status = _choice_arg("status", NOTIFY_STATUSES)
    rows = g.store.list_notifications(status)
    audit("view-notifications", None, f"status={status or 'any'} shown={len(rows)}")
    counts = {s: 0 for s in NOTIFY_STATUSES}
    for r in g.store.list_notifications():
        counts[r["status"]] += 1
    return render_template(
        "notifications.html",
        rows=rows,
        status=status,
        counts=counts,
        form=ActionForm(),
        outcome_label=outcome_label,
    )


@blueprint.route("/notifications/<int:notification_id>/retry", methods=["POST"])
@login_required
def retry_notification(notification_id: int):
    if ActionForm().validate_on_submit():
        try:
            g.store.retry_notification(notification_id, by=current_user.username)
        except (NotFound, InvalidInput):
            flash(t("notifications.cannot_retry", id=notification_id), "error")
        else:
            g.audited = True
            from bot import notify

            counts = notify.send_due(store=g.store)
            flash(t("notifications.retried", id=notification_id, sent=counts["sent"], retry=counts["retry"]), "info")
    else:
        flash(t("errors.csrf.message"), "error")
    return redirect(url_for("views.notifications"))


# --------------------------------------------------------------------------
# Account
# --------------------------------------------------------------------------
@blueprint.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            _form_errors(form)
        elif form.language.data not in languages():
            flash(t("errors.language"), "error")
        else:
            g.accounts.set_language(current_user.username, form.language.data, by=current_user.username)
            g.audited = True
            g.texts = None
            flash(t("account.saved"), "info")
        return redirect(url_for("views.account"))
    audit("view-account", current_user.username)
    user = g.accounts.get_user(current_user.username) or {}
    return render_template("account.html", form=form, user=user, languages=languages())


# --------------------------------------------------------------------------
# Audit log and exports
# --------------------------------------------------------------------------
@blueprint.route("/audit")
@login_required
def audit_log():
    actor = _arg("actor")[:64] or None
    action = _arg("action")[:64] or None
    rows = g.store.audit_log(200, actor=actor, action=action)
    audit("view-audit", None, f"shown={len(rows)}")
    return render_template("audit.html", rows=rows, actor=actor or "", action=action or "")


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")


@blueprint.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """The staff export (DESIGN.md), of the leads the list's filters select."""
    if fmt not in ("csv", "json"):
        fail(404, "errors.export_format")
    shown, filters = lead_filters()
    ids = [r["screening_id"] for r in g.store.list_screenings(sort="oldest", **filters)]
    text = g.store.export(fmt, screening_ids=ids if shown else None)
    audit(
        "export",
        f"dashboard {fmt}",
        ", ".join(filter(None, [f"format={fmt}", _filters_audit(shown), f"screenings={len(ids)}"])),
    )
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    return Response(
        text,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="screenings-{_stamp()}.{fmt}"'},
    )


CALL_LIST_COLUMNS = (
    "name",
    "phone",
    "email",
    "best_time",
    "callback",
    "status",
    "owner",
    "outcome",
    "why",
    "reference",
    "started",
    "language",
    "last_call",
    "screening_id",
)


@blueprint.route("/call-list.csv")
@login_required
def call_list():
    """The leads of the current filters, soonest callback first, with contact
    details only for those who agreed to be contacted."""
    shown, filters = lead_filters()
    sort = _choice_arg("sort", SORTS) or "callback"
    rows = g.store.list_screenings(sort=sort, limit=CALL_LIST_LIMIT, details=True, **filters)
    tx = texts()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([tx(f"call_list.columns.{c}") for c in CALL_LIST_COLUMNS])
    with_contact = 0
    for r in rows:
        contact = r["contact"] if (r["contact"] or {}).get("consented") else {}
        with_contact += bool(contact)
        last = r.get("last_call")
        cells = [
            contact.get("name"),
            contact.get("phone"),
            contact.get("email"),
            contact.get("preferred_time"),
            present.local_text(r["follow_up"]["callback_at"]),
            status_label(r["follow_up"]["status"]),
            r["follow_up"]["owner"],
            outcome_label(r["outcome"]),
            present.why(r, tx),
            r["reference"],
            present.local_text(r["started_at"]),
            r["language"],
            f"{present.local_text(last['at'])} {tx.choice('call.results', last['result'])}" if last else "",
            r["screening_id"],
        ]
        writer.writerow([csv_cell("" if v is None else str(v)) for v in cells])
    audit(
        "export-call-list",
        None,
        ", ".join(
            filter(None, [_filters_audit(shown), f"sort={sort}", f"rows={len(rows)}", f"with contact={with_contact}"])
        ),
    )
    return Response(
        "\ufeff" + buf.getvalue(),  # a BOM: spreadsheets then read the names as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="call-list-{_stamp()}.csv"'},
    )

"""The dashboard's pages. Each one needs a login and leaves an audit entry
(who, when, what: ids and counts, never health data)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from bot.outcome import OUTCOMES
from bot.store import AlreadyResolved, InvalidInput, NotFound
from bot.store.leads import NOTIFY_STATUSES
from web.staff.forms import ActionForm, EraseForm, ResolveForm
from web.staff.settings import PAGE_SIZE

blueprint = Blueprint("views", __name__)


def audit(action: str, target=None, detail: str = "") -> None:
    g.store.record_audit(current_user.username, action, target, detail)


def _date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, description=f"'{name}' must be a date like 2026-12-01.")


def _choice_arg(name: str, allowed) -> str | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if raw not in allowed:
        abort(400, description=f"'{name}' must be one of: {', '.join(allowed)}.")
    return raw


def _page() -> int:
    try:
        page = int(request.args.get("page") or 1)
    except ValueError:
        abort(400, description="'page' must be a number.")
    if page < 1:
        abort(400, description="'page' must be 1 or more.")
    return page


def _resolve_form(item_id: int) -> ResolveForm:
    return ResolveForm(prefix=f"item{item_id}")


# --------------------------------------------------------------------------
# Leads
# --------------------------------------------------------------------------
@blueprint.route("/")
@login_required
def leads():
    outcome = _choice_arg("outcome", OUTCOMES)
    review = _choice_arg("review", ("open", "none"))
    since, until = _date_arg("since"), _date_arg("until")
    if since and until and since > until:
        abort(400, description="'since' is after 'until'.")
    page = _page()
    rows = g.store.list_screenings(
        outcome=outcome,
        review_status=review,
        since=since,
        until=until,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    more = len(rows) > PAGE_SIZE
    counts = g.store.count_screenings(review_status=review, since=since, until=until)
    filters = {
        k: v
        for k, v in (
            ("outcome", outcome),
            ("review", review),
            ("since", since and since.isoformat()),
            ("until", until and until.isoformat()),
        )
        if v
    }
    audit(
        "view-leads",
        None,
        ", ".join(f"{k}={v}" for k, v in filters.items()) + f" page={page} shown={min(len(rows), PAGE_SIZE)}",
    )
    return render_template(
        "leads.html",
        rows=rows[:PAGE_SIZE],
        counts=counts,
        filters=filters,
        page=page,
        more=more,
        outcomes=OUTCOMES,
        open_items=len(g.store.open_review_items()),
    )


@blueprint.route("/leads/<screening_id>")
@login_required
def lead(screening_id: str):
    if len(screening_id) > 100:
        abort(404, description="No such screening.")
    record = g.store.get_screening(screening_id)
    if record is None:
        abort(404, description="No such screening (it may have been deleted or purged).")
    audit("view-lead", screening_id)
    items = [i for i in record["review_items"] if i["status"] == "open"]
    return render_template(
        "lead.html",
        record=record,
        open_items=items,
        resolved_items=[i for i in record["review_items"] if i["status"] == "resolved"],
        forms={i["id"]: _resolve_form(i["id"]) for i in items},
        pending=_pending(record),
        notifications=g.store.list_notifications(screening_id=screening_id),
        erase_form=EraseForm(prefix="erase"),
    )


def _pending(record: dict) -> list[str]:
    ids = list(record.get("pending") or [])
    ids += [c for c, v in record["criteria"].items() if v["verdict"] == "pending" and c not in ids]
    return ids


@blueprint.route("/leads/<screening_id>/items/<int:item_id>/resolve", methods=["POST"])
@login_required
def resolve(screening_id: str, item_id: int):
    form = _resolve_form(item_id)
    back = request.form.get("back") == "review"
    target = url_for("views.review") if back else url_for("views.lead", screening_id=screening_id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(target + f"#item-{item_id}")
    item = g.store.get_review_item(item_id)
    if item is None or item["screening_id"] != screening_id:
        abort(404, description="No such review item on this screening.")
    try:
        result = g.store.resolve_review_item(item_id, form.decision.data, form.note.data, current_user.username)
    except AlreadyResolved as exc:
        flash(str(exc), "error")
    except (InvalidInput, NotFound) as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"Review item {item_id} ({result['criterion']}) recorded as {result['decision']}. "
            f"Outcome: {result['old_outcome']} → {result['new_outcome']}.",
            "info",
        )
    return redirect(target)


@blueprint.route("/leads/<screening_id>/erase", methods=["POST"])
@login_required
def erase(screening_id: str):
    """A person's right to erasure: every row of their conversation in the lead
    store and the conversation store; the audit keeps ids and counts only."""
    record = g.store.get_screening(screening_id) if len(screening_id) <= 100 else None
    if record is None:
        abort(404, description="No such screening (it may have been deleted or purged).")
    form = EraseForm(prefix="erase")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("views.lead", screening_id=screening_id) + "#erase-h")
    conversation_id = record.get("conversation_id")
    if not conversation_id:
        abort(400, description="This screening has no conversation id; erase it with python -m bot.staff delete.")
    counts = g.store.delete_conversation(conversation_id, current_user.username)
    flash(
        f"Erased conversation {conversation_id}: {counts['screenings']} screening(s), "
        f"{counts['answers']} answers, {counts['transcript']} transcript lines and "
        f"{counts['tracker_events']} stored conversation event(s).",
        "info",
    )
    return redirect(url_for("views.leads"))


# --------------------------------------------------------------------------
# Review queue
# --------------------------------------------------------------------------
@blueprint.route("/review")
@login_required
def review():
    items = g.store.open_review_items()
    audit("view-review", None, f"{len(items)} open item(s)")
    return render_template("review.html", items=items, forms={i["id"]: _resolve_form(i["id"]) for i in items})


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
    return render_template("notifications.html", rows=rows, status=status, counts=counts, form=ActionForm())


@blueprint.route("/notifications/<int:notification_id>/retry", methods=["POST"])
@login_required
def retry_notification(notification_id: int):
    if ActionForm().validate_on_submit():
        try:
            g.store.retry_notification(notification_id, by=current_user.username)
        except (NotFound, InvalidInput) as exc:
            flash(str(exc), "error")
        else:
            from bot import notify

            counts = notify.send_due(store=g.store)
            flash(
                f"Notification {notification_id}: tried again now "
                f"({counts['sent']} sent, {counts['retry']} to retry later).",
                "info",
            )
    return redirect(url_for("views.notifications"))


# --------------------------------------------------------------------------
# Audit log and export
# --------------------------------------------------------------------------
@blueprint.route("/audit")
@login_required
def audit_log():
    actor = (request.args.get("actor") or "").strip()[:64] or None
    action = (request.args.get("action") or "").strip()[:64] or None
    rows = g.store.audit_log(200, actor=actor, action=action)
    audit("view-audit", None, f"shown={len(rows)}")
    return render_template("audit.html", rows=rows, actor=actor or "", action=action or "")


@blueprint.route("/export.<fmt>")
@login_required
def export(fmt: str):
    if fmt not in ("csv", "json"):
        abort(404, description="Export as .csv or .json.")
    text = g.store.export(fmt)
    count = len(g.store.list_screenings())
    audit("export", f"dashboard {fmt}", f"format={fmt}, screenings={count}")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    return Response(
        text, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="screenings-{stamp}.{fmt}"'}
    )

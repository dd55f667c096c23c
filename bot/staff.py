"""Staff command line over the lead store.

Run from the project root with the project's virtual environment::

    python -m bot.staff list [--outcome X] [--review open|none] [--since D] [--until D] [--limit N]
    python -m bot.staff show ID [--html]
    python -m bot.staff review
    python -m bot.staff resolve ITEM --decision pass|fail --note TEXT --by NAME
    python -m bot.staff export --format json|csv [--output FILE]
    python -m bot.staff purge [--older-than DAYS] [--yes]
    python -m bot.staff delete CONVERSATION_ID --by NAME
    python -m bot.staff notifications [--status pending|sent|failed]
    python -m bot.staff notify-retry [--every SECONDS]
    python -m bot.staff audit [--limit N] [--actor NAME] [--action ACTION]
    python -m bot.staff user add|passwd|disable|enable|list ...   (dashboard accounts)
    python -m bot.staff user totp|recovery-codes|language NAME ...  (second factor, language)
    python -m bot.staff seed-demo [--count N] [--seed N]          (a demonstration store)

The lead database is ``$LEAD_DB`` (default ``var/leads.db``), the Rasa
tracker store ``$TRACKER_DB`` (default ``var/tracker.db``). Exit status: 0 on
success, 1 for an error (unknown id, locked database ...), 2 for bad usage;
errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from datetime import date

from bot.outcome import OUTCOMES

LANGUAGES = ("en", "zh")  # as bot.store.records.LANGUAGES (not imported: --help answers at once)

# bot.store, bot.summary and tabulate are imported by the commands that use
# them, so that --help and usage errors answer at once.

PROG = "python -m bot.staff"


class UsageError(Exception):
    """Bad command-line input (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line on stderr (no usage block)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _date(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}, expected YYYY-MM-DD") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _actor(args: argparse.Namespace) -> str:
    by = getattr(args, "by", None)
    if by and by.strip():
        return by.strip()
    user = os.environ.get("USER") or os.environ.get("LOGNAME")
    if not user:
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no passwd entry in some containers
            user = "unknown"
    return user


def _store():
    from bot.store import LeadStore

    return LeadStore()


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from bot.summary import clean_text

    st = _store()
    if args.since and args.until and args.since > args.until:
        raise UsageError(f"--since {args.since} is after --until {args.until}")
    rows = (
        []
        if not st.exists()
        else st.list_screenings(
            outcome=args.outcome, review_status=args.review, since=args.since, until=args.until, limit=args.limit
        )
    )
    if st.exists():
        filters = ", ".join(
            f"{k}={v}" for k, v in (("outcome", args.outcome), ("review", args.review), ("since", args.since),
                                    ("until", args.until)) if v
        )  # fmt: skip
        st.record_audit(_actor(args), "list", None, ", ".join(filter(None, [filters, f"shown={len(rows)}"])))
    if not rows:
        _out("No screenings.")
        return 0
    table = [
        [
            r["screening_id"],
            clean_text(r["conversation_id"]),
            r["role"] or "",
            r["outcome"],
            clean_text(r["started_at"]),
            clean_text(r["completed_at"] or "-"),
            r["fail_count"],
            r["uncertain_count"],
            r["pending_count"],
            r["open_review_items"],
        ]
        for r in rows
    ]
    _out(
        tabulate(
            table,
            headers=[
                "screening",
                "conversation",
                "role",
                "outcome",
                "started",
                "completed",
                "fail",
                "uncertain",
                "pending",
                "open review",
            ],
            disable_numparse=True,
        )
    )
    _out(f"{len(rows)} screening(s)")
    return 0


def _find(st, ident: str) -> dict:
    from bot.store import NotFound

    record = None
    if st.exists():
        record = st.get_screening(ident) or st.find_by_conversation(ident)
    if record is None:
        raise NotFound(f"no screening with screening id or conversation id {ident!r}")
    return record


def cmd_show(args: argparse.Namespace) -> int:
    from bot.summary import summary_html, summary_text

    st = _store()
    record = _find(st, args.id)
    st.record_audit(_actor(args), "show", record["screening_id"])
    if args.html:
        _out(summary_html(record, full_document=True))
    else:
        _out(summary_text(record))
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from bot.summary import clean_text

    st = _store()
    items = st.open_review_items() if st.exists() else []
    if not items:
        _out("No open review items.")
        return 0
    st.record_audit(_actor(args), "review", None, f"{len(items)} open item(s) listed")
    table = [
        [
            i["id"],
            i["screening_id"][:12],
            clean_text(i["criterion"]),
            clean_text(i["question"]),
            clean_text(i["answer"]),
            clean_text(i["reason"]),
            clean_text(i["started_at"])[:10],
        ]
        for i in items
    ]
    _out(
        tabulate(
            table,
            headers=["item", "screening", "criterion", "question", "answer (verbatim)", "why", "started"],
            maxcolwidths=[None, None, None, 30, 40, 30, None],
            disable_numparse=True,
        )
    )
    _out(f"{len(items)} open item(s). Settle one with: {PROG} resolve ITEM --decision pass|fail --note TEXT --by NAME")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from bot.store import NotFound
    from bot.summary import clean_text

    if not args.by.strip():
        raise UsageError("--by must name who resolves the item")
    if not args.note.strip():
        raise UsageError("--note must say why (it is kept with the decision)")
    st = _store()
    if not st.exists():
        raise NotFound(f"no review item {args.item}")
    result = st.resolve_review_item(args.item, args.decision, args.note, args.by.strip())
    _out(
        f"Resolved review item {result['item_id']} ({clean_text(result['criterion'])}): "
        f"{result['decision']}. Screening {result['screening_id']} outcome: "
        f"{result['old_outcome']} -> {result['new_outcome']}"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from bot.store import format_export

    st = _store()
    if st.exists():
        text = st.export(args.format, include_transcript=args.transcript)
        count = len(st.list_screenings())
        st.record_audit(_actor(args), "export", args.output or "stdout", f"format={args.format}, screenings={count}")
    else:  # nothing stored yet: do not create the database just to export it
        text = format_export([], args.format)
    if args.output:
        # Health data: the file is created owner-only.
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        print(f"Wrote {args.output}", file=sys.stderr)
    else:  # JSON and CSV are UTF-8 whatever the locale says
        sys.stdout.flush()
        sys.stdout.buffer.write((text if text.endswith("\n") else text + "\n").encode("utf-8"))
        sys.stdout.buffer.flush()
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from bot.store import retention_days

    st = _store()
    days = args.older_than if args.older_than is not None else retention_days()
    if not st.exists():
        _out("Nothing to purge (no lead database yet).")
        return 0
    preview = st.purge(days, dry_run=True)
    what = (
        f"{preview['screenings']} screening(s) started before {preview['cutoff']} "
        f"(older than {days} days) and {preview['tracker_events']} tracker event(s)"
    )
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"would delete {what}; re-run with --yes to confirm")
        reply = input(f"Delete {what}? [y/N] ").strip().lower()
        if reply not in ("y", "yes"):
            _out("Nothing deleted.")
            return 0
    counts = st.purge(days, by=_actor(args))
    _out(
        f"Deleted {counts['screenings']} screening(s) ({counts['answers']} answers, "
        f"{counts['review_items']} review items, {counts['transcript']} transcript lines) and "
        f"{counts['tracker_events']} tracker event(s); cutoff {counts['cutoff']}."
    )
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from bot.store import NotFound
    from bot.summary import clean_text

    if not args.by.strip():
        raise UsageError("--by must name who deletes the conversation")
    st = _store()
    counts = st.delete_conversation(args.conversation_id, args.by.strip())
    total = sum(v for k, v in counts.items() if isinstance(v, int))
    if total == 0:
        raise NotFound(f"no data found for conversation {args.conversation_id!r}")
    _out(
        f"Deleted conversation {clean_text(args.conversation_id)}: {counts['screenings']} "
        f"screening(s), {counts['answers']} answers, {counts['review_items']} review items, "
        f"{counts['transcript']} transcript lines, {counts['tracker_events']} tracker event(s)."
    )
    return 0


def cmd_notifications(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    st = _store()
    rows = st.list_notifications(args.status) if st.exists() else []
    if st.exists():
        st.record_audit(_actor(args), "notifications", None, f"status={args.status or 'any'} shown={len(rows)}")
    if not rows:
        _out("No notifications.")
        return 0
    table = [
        [
            r["id"],
            r["screening_id"],
            r["channel"],
            r["status"],
            r["attempts"],
            r["next_attempt_at"] or "-",
            r["created_at"],
            r["sent_at"] or "-",
            r["last_error"] or "",
        ]
        for r in rows
    ]
    _out(
        tabulate(
            table,
            headers=[
                "id",
                "screening",
                "channel",
                "status",
                "attempts",
                "next attempt",
                "created",
                "sent",
                "last error",
            ],
            maxcolwidths=[None] * 8 + [50],
            disable_numparse=True,
        )
    )
    _out(f"{len(rows)} notification(s)")
    return 0


def cmd_notify_retry(args: argparse.Namespace) -> int:
    import time

    from bot import notify
    from bot.store import LeadStoreUnavailable

    st = _store()
    while True:
        if st.exists():
            try:
                counts = notify.send_due(store=st)
            except LeadStoreUnavailable as exc:
                if not args.every:
                    raise
                print(f"{PROG}: notify-retry: {exc}; trying again later", file=sys.stderr)
            else:
                if not args.every or any(counts[k] for k in ("sent", "retry", "failed")):
                    _out(
                        f"Sent {counts['sent']}, will retry {counts['retry']}, failed for good "
                        f"{counts['failed']}, skipped {counts['skipped']}."
                    )
        elif not args.every:
            _out("Nothing to send (no lead database yet).")
        if not args.every:
            return 0
        sys.stdout.flush()
        time.sleep(args.every)


def cmd_audit(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from bot.summary import clean_text

    st = _store()
    rows = st.audit_log(args.limit, actor=args.actor, action=args.action) if st.exists() else []
    if st.exists():
        st.record_audit(_actor(args), "view-audit", None, f"shown={len(rows)}")
    if not rows:
        _out("No audit entries.")
        return 0
    _out(
        tabulate(
            [
                [
                    r["id"],
                    r["at"],
                    clean_text(r["actor"]),
                    r["action"],
                    clean_text(r["target"] or ""),
                    clean_text(r["detail"] or ""),
                ]
                for r in rows
            ],
            headers=["id", "at", "who", "action", "target", "detail"],
            maxcolwidths=[None, None, 24, None, 40, 50],
            disable_numparse=True,
        )
    )
    _out(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}, newest first")
    return 0


def _show_enrolment(name: str, enrolment) -> None:
    """The second factor, shown once: give it to the staff member, then clear the screen."""
    codes = "\n".join(f"    {c}" for c in enrolment.recovery_codes)
    _out(
        f"Second factor (TOTP) for {name!r}: add it to an authenticator app (FreeOTP, Google or Microsoft\n"
        f"Authenticator, 1Password ...) by scanning or pasting this URI, or by typing the secret:\n\n"
        f"    {enrolment.uri}\n\n"
        f"    secret: {enrolment.secret}\n\n"
        f"Recovery codes (each works once, instead of a code from the app; keep them somewhere safe):\n{codes}\n\n"
        f"They are shown only now; the dashboard asks for a 6-digit code after the password.\n"
        f"Any earlier second factor and recovery codes of {name!r} no longer work; its sessions were ended."
    )


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """A demonstration store: refuses a store that holds anything but demo leads."""
    from bot.store.demo import DEMO_PREFIX, seed

    st = _store()
    if st.exists():
        real = st.run(
            lambda db: db.scalar(
                "SELECT count(*) FROM screenings WHERE conversation_id NOT LIKE ?", [DEMO_PREFIX + "%"]
            ),
            write=False,
        )
        if real:
            raise UsageError(
                f"{st!r} holds {real} screening(s) that are not demo data; seed-demo only fills an empty "
                "store or one with demo data (point LEAD_DB at another file)"
            )

    def progress(n: int) -> None:
        if sys.stderr.isatty() and (n % 10 == 0 or n == args.count):
            print(f"\r{n}/{args.count} screenings", end="" if n < args.count else "\n", file=sys.stderr, flush=True)

    counts = seed(st, args.count, seed=args.seed, progress=progress)
    st.record_audit(_actor(args), "seed-demo", None, f"screenings={args.count}")
    _out(
        f"Added {args.count} demo screenings to {st!r}: "
        + ", ".join(f"{n} {outcome.replace('_', ' ')}" for outcome, n in sorted(counts.items()))
        + ". Names and phone numbers are made up; conversation ids start with 'demo-'."
    )
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """From stdin (--password-stdin, one line) or typed twice at a prompt."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password; use --password-stdin")
    first = getpass.getpass("New password (at least 12 characters): ")
    if getpass.getpass("Again: ") != first:
        raise UsageError("the two passwords differ; nothing changed")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from bot.store.accounts import StaffAccounts

    accounts = StaffAccounts(_store(), require_totp=True)
    by = _actor(argparse.Namespace(by=getattr(args, "by", None)))
    if args.user_command == "list":
        users = accounts.list_users()
        accounts.store.record_audit(by, "user-list", None, f"shown={len(users)}")
        if not users:
            _out(f"No staff accounts. Create one with: {PROG} user add NAME")
            return 0
        _out(
            tabulate(
                [
                    [
                        u["username"],
                        u["display_name"] or "",
                        u["created_at"],
                        u["created_by"],
                        u["password_changed_at"],
                        "disabled" if u["disabled_at"] else "active",
                        f"TOTP, {u['recovery_codes']} recovery codes" if u["totp_enrolled_at"] else "none",
                        u["language"],
                        u["sessions"],
                    ]
                    for u in users
                ],
                headers=[
                    "user",
                    "name",
                    "created",
                    "by",
                    "password set",
                    "status",
                    "second factor",
                    "language",
                    "live sessions",
                ],  # fmt: skip
                disable_numparse=True,
            )
        )
        return 0
    if args.user_command == "add":
        name = accounts.create_user(args.username, _read_password(args), display_name=args.display_name or "", by=by)
        if args.language:
            accounts.set_language(name, args.language, by=by)
        if args.no_totp:
            _out(
                f"Created staff account {name!r} without a second factor: it can log in only where "
                f"STAFF_REQUIRE_TOTP=0 (local testing). Enrol one with: {PROG} user totp {name}"
            )
        else:
            _out(f"Created staff account {name!r}.")
            _show_enrolment(name, accounts.enrol_totp(name, by=by))
    elif args.user_command == "totp":
        if args.remove:
            accounts.remove_totp(args.username, by=by)
            _out(
                f"Second factor of {args.username!r} removed; its sessions were ended. It can log in again only "
                f"where STAFF_REQUIRE_TOTP=0, or after: {PROG} user totp {args.username}"
            )
        else:
            _show_enrolment(args.username, accounts.enrol_totp(args.username, by=by))
    elif args.user_command == "recovery-codes":
        codes = accounts.new_recovery_codes(args.username, by=by)
        _out(f"New recovery codes for {args.username!r} (the old ones no longer work). Each works once:")
        _out("\n".join(f"    {c}" for c in codes))
    elif args.user_command == "language":
        language = accounts.set_language(args.username, args.language, by=by)
        _out(f"Dashboard language of {args.username!r}: {language!r}.")
    elif args.user_command == "passwd":
        accounts.set_password(args.username, _read_password(args), by=by)
        _out(f"Password of {args.username!r} changed; its open sessions were ended.")
    else:
        disabled = args.user_command == "disable"
        accounts.set_disabled(args.username, disabled, by=by)
        _out(f"Staff account {args.username!r} {'disabled (sessions ended)' if disabled else 'enabled'}.")
    return 0


# --------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Study-staff tools for the pre-screening lead store (database: $LEAD_DB, default var/leads.db).",
        epilog=f"Run '{PROG} COMMAND --help' for the options of a command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _add_reading_commands(sub)
    _add_data_commands(sub)
    _add_operations_commands(sub)
    _add_user_commands(sub)
    _add_demo_command(sub)
    return parser


def _add_reading_commands(sub) -> None:
    """list, show, review, resolve: reading leads and settling review items."""
    p = sub.add_parser(
        "list",
        help="list screenings, newest first",
        description="List screenings, newest first, with counts of failed, "
        "uncertain and pending criteria and open review items.",
    )
    p.add_argument("--outcome", choices=OUTCOMES, help="only this outcome")
    p.add_argument(
        "--review",
        choices=("open", "none"),
        help="'open': only screenings with open review items; 'none': only without",
    )
    p.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="started on or after this day (UTC)")
    p.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="started on or before this day (UTC)")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="at most N screenings")
    p.add_argument("--by", metavar="NAME", help="who is looking (default: $USER)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "show",
        help="lead summary of one screening",
        description="Print the lead summary of a screening: outcome, contact "
        "(if consented), answers, review items, pending site checks "
        "and transcript. Audited.",
    )
    p.add_argument("id", metavar="ID", help="screening id, or a conversation id (its newest screening)")
    p.add_argument("--html", action="store_true", help="print an HTML page instead of text")
    p.add_argument("--by", metavar="NAME", help="who is looking (default: $USER)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "review",
        help="list open review items",
        description="List the review queue: answers the bot could not settle, "
        "oldest first, with the question, the verbatim answer and why.",
    )
    p.add_argument("--by", metavar="NAME", help="who is looking (default: $USER)")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser(
        "resolve",
        help="settle a review item",
        description="Settle an open review item: the criterion's verdict becomes "
        "the decision and the screening's outcome is recomputed "
        "(the change is recorded in its history). Audited.",
    )
    p.add_argument("item", type=_positive_int, metavar="ITEM", help="review item number (from 'review' or 'show')")
    p.add_argument(
        "--decision", required=True, choices=("pass", "fail"), help="pass: the criterion is met; fail: it is not"
    )
    p.add_argument("--note", required=True, metavar="TEXT", help="why (kept with the decision)")
    p.add_argument("--by", required=True, metavar="NAME", help="who decides")
    p.set_defaults(func=cmd_resolve)


def _add_data_commands(sub) -> None:
    """export, purge, delete: the data as a whole (all audited)."""
    p = sub.add_parser(
        "export",
        help="export every screening as JSON or CSV",
        description="Export every screening: JSON (one object per screening, "
        "see DESIGN.md 'Staff export') or CSV (one row per screening, "
        "one column per criterion verdict). Audited.",
    )
    p.add_argument("--format", required=True, choices=("json", "csv"), help="output format")
    p.add_argument("--output", metavar="FILE", help="write to FILE (created owner-only) instead of stdout")
    p.add_argument("--transcript", action="store_true", help="JSON: include transcripts")
    p.add_argument("--by", metavar="NAME", help="who exports (default: $USER)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "purge",
        help="delete screenings past the retention period",
        description="Delete screenings started more than DAYS days ago with all "
        "their rows, and the Rasa tracker events of those "
        "conversations ($TRACKER_DB, default var/tracker.db) and any "
        "older tracker event. Asks for confirmation unless --yes. "
        "Audited.",
    )
    p.add_argument(
        "--older-than",
        type=_positive_int,
        metavar="DAYS",
        help="retention in days (default: $RETENTION_DAYS, else 365)",
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--by", metavar="NAME", help="who purges (default: $USER)")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser(
        "delete",
        help="erase one conversation (right to erasure)",
        description="Erase every row about a conversation in the lead store and "
        "the Rasa tracker store. The audit log keeps only the "
        "conversation id and the counts.",
    )
    p.add_argument("conversation_id", metavar="CONVERSATION_ID", help="the Rasa sender id")
    p.add_argument("--by", required=True, metavar="NAME", help="who deletes it")
    p.set_defaults(func=cmd_delete)


def _add_operations_commands(sub) -> None:
    """notifications, notify-retry, audit."""
    p = sub.add_parser(
        "notifications",
        help="list staff notifications (outbox)",
        description="List the staff-notification outbox: one row per screening "
        "and channel, with its status, attempts, next attempt and "
        "last error.",
    )
    p.add_argument("--status", choices=("pending", "sent", "failed"), help="only this status")
    p.add_argument("--by", metavar="NAME", help="who is looking (default: $USER)")
    p.set_defaults(func=cmd_notifications)

    p = sub.add_parser(
        "notify-retry",
        help="send the staff notifications that are due",
        description="Try once every pending staff notification whose next "
        "attempt is due (back-off 1 min, 5 min, 30 min, 2 h, 12 h, "
        "then failed). Run it from cron, or keep it running with "
        "--every (make run does: every 60 s).",
    )
    p.add_argument(
        "--every", type=_positive_int, metavar="SECONDS", help="keep running, sending what is due every SECONDS"
    )
    p.set_defaults(func=cmd_notify_retry)

    p = sub.add_parser(
        "audit",
        help="show the audit log (who did what, when)",
        description="Show the audit log, newest first: logins, views, exports, "
        "decisions, deletions. It holds ids and counts, never "
        "health data.",
    )
    p.add_argument("--limit", type=_positive_int, default=50, metavar="N", help="at most N entries (default 50)")
    p.add_argument("--actor", metavar="NAME", help="only what NAME did")
    p.add_argument("--action", metavar="ACTION", help="only this action (e.g. view, resolve)")
    p.add_argument("--by", metavar="NAME", help="who is looking (default: $USER)")
    p.set_defaults(func=cmd_audit)


def _add_user_commands(sub) -> None:
    """user ACTION: the dashboard's staff accounts."""
    p = sub.add_parser(
        "user",
        help="staff accounts of the dashboard",
        description="Create and manage the named staff accounts that log in to "
        "the dashboard. Passwords are typed at a prompt (or read "
        "from standard input with --password-stdin) and stored "
        "only as argon2 hashes. There is no default account.",
    )
    users = p.add_subparsers(dest="user_command", metavar="ACTION", parser_class=_Parser)
    users.required = True
    for action, text in (
        ("add", "create an account and enrol its second factor (shows the TOTP secret and recovery codes once)"),
        ("passwd", "set a new password (ends its sessions)"),
        ("disable", "lock an account out (ends its sessions)"),
        ("enable", "let a disabled account log in again"),
        ("totp", "enrol a new second factor (TOTP) with new recovery codes, shown once; or --remove it"),
        ("recovery-codes", "new single-use recovery codes (the old ones stop working), shown once"),
        ("language", "the language of the dashboard for the account"),
    ):
        q = users.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        q.add_argument("username", metavar="NAME", help="user name: lower-case letters, digits, . _ -")
        if action in ("add", "passwd"):
            q.add_argument(
                "--password-stdin", action="store_true", help="read the password from the first line of standard input"
            )
        if action == "add":
            q.add_argument("--display-name", metavar="TEXT", help="full name shown in the dashboard and the audit log")
            q.add_argument("--language", choices=LANGUAGES, help="language of the dashboard (default en)")
            q.add_argument(
                "--no-totp",
                action="store_true",
                help="no second factor (the account logs in only where STAFF_REQUIRE_TOTP=0: local testing)",
            )
        if action == "totp":
            q.add_argument("--remove", action="store_true", help="remove the second factor instead (ends its sessions)")
        if action == "language":
            q.add_argument("language", choices=LANGUAGES, metavar="LANGUAGE", help=f"one of: {', '.join(LANGUAGES)}")
        q.add_argument("--by", metavar="NAME", help="who does this (default: $USER)")
    q = users.add_parser("list", help="list the accounts", description="List the staff accounts.")
    q.add_argument("--by", metavar="NAME", help="who is looking (default: $USER)")
    p.set_defaults(func=cmd_user)


def _add_demo_command(sub) -> None:
    """seed-demo: made-up leads for trying the dashboard."""
    p = sub.add_parser(
        "seed-demo",
        help="fill a store with made-up demonstration leads",
        description="Add realistic, made-up screenings (every one a real conversation through the "
        "bot with answers drawn from pools: clear, hedged, knock-outs) spread over the last six "
        "weeks, with some follow-up on the older ones, for trying the dashboard. Refuses a store "
        "that holds anything but demo data. Create staff accounts first: leads are assigned to them.",
    )
    p.add_argument("--count", type=_positive_int, default=300, metavar="N", help="how many screenings (default 300)")
    p.add_argument(
        "--seed", type=int, default=15, metavar="N", help="random seed (default 15): the same store each time"
    )
    p.add_argument("--by", metavar="NAME", help="who does this (default: $USER)")
    p.set_defaults(func=cmd_seed_demo)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # never die on an odd character
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    from bot.store import LeadStoreError

    try:
        return args.func(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except LeadStoreError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` or similar: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:
        print(
            f"{PROG}: error: {exc.strerror or exc}" + (f": {exc.filename}" if getattr(exc, "filename", None) else ""),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback for staff; say what happened
        print(f"{PROG}: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

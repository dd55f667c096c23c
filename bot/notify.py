"""Staff notifications: tell the study team that a screening ended
``likely_eligible`` or ``needs_review``.

Channels (environment variables; none set = nothing is queued):

- e-mail over SMTP: ``NOTIFY_SMTP_HOST``, ``NOTIFY_SMTP_PORT`` (25),
  ``NOTIFY_SMTP_USER``, ``NOTIFY_SMTP_PASSWORD``, ``NOTIFY_SMTP_STARTTLS``
  (0/1), ``NOTIFY_FROM``, ``NOTIFY_TO`` (comma-separated);
- a webhook: ``NOTIFY_WEBHOOK_URL`` gets one JSON ``POST``.

A message carries the lead (screening) id, the outcome and the dashboard link
``DASHBOARD_URL + "leads/<screening_id>"`` and nothing else: no name, no
answers, no criteria (minimum necessary).

Every notification goes through the ``notifications`` outbox of the lead
store (one row per screening and channel, so finishing twice never queues
twice). A failed attempt is kept and retried after 1 min, 5 min, 30 min,
2 h and 12 h; after that the row is ``failed`` (still listed by
``python -m bot.staff notifications``). ``python -m bot.staff notify-retry``
sends the due ones (run it from cron, e.g. every minute).
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

from bot.outcome import OUTCOMES

logger = logging.getLogger(__name__)

NOTIFY_OUTCOMES = ("likely_eligible", "needs_review")
assert set(NOTIFY_OUTCOMES) <= set(OUTCOMES)
# Delay after the 1st, 2nd ... failed attempt; one more failure = status failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
DEFAULT_DASHBOARD_URL = "http://localhost:8081/"
DEFAULT_FROM = "prescreening@localhost"
ACTION_BUDGET = 2.0  # seconds the chat reply may wait for the first attempt
RETRY_TIMEOUT = 10.0  # per send, from the staff command

_OUTCOME_TEXT = {"likely_eligible": "likely eligible", "needs_review": "needs review"}
_logged_unconfigured = False


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    from_addr: str = DEFAULT_FROM
    to_addrs: tuple = ()
    webhook_url: str = ""
    dashboard_url: str = DEFAULT_DASHBOARD_URL

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.to_addrs)

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    def channels(self) -> list[str]:
        return [c for c, on in (("email", self.email_enabled), ("webhook", self.webhook_enabled)) if on]


def _env(name: str, default: str = "") -> str:
    return (os.environ.get(name) or "").strip() or default


def settings_from_env() -> Settings:
    port_text = _env("NOTIFY_SMTP_PORT", "25")
    try:
        port = int(port_text)
    except ValueError:
        logger.warning("NOTIFY_SMTP_PORT is not a number (%r); using 25", port_text)
        port = 25
    dashboard = _env("DASHBOARD_URL", DEFAULT_DASHBOARD_URL)
    if not dashboard.endswith("/"):
        dashboard += "/"
    return Settings(
        smtp_host=_env("NOTIFY_SMTP_HOST"),
        smtp_port=port,
        smtp_user=_env("NOTIFY_SMTP_USER"),
        smtp_password=os.environ.get("NOTIFY_SMTP_PASSWORD", ""),
        smtp_starttls=_env("NOTIFY_SMTP_STARTTLS", "0").lower() in ("1", "true", "yes", "on"),
        from_addr=_env("NOTIFY_FROM", DEFAULT_FROM),
        to_addrs=tuple(a.strip() for a in _env("NOTIFY_TO").split(",") if a.strip()),
        webhook_url=_env("NOTIFY_WEBHOOK_URL"),
        dashboard_url=dashboard,
    )


# --------------------------------------------------------------------------
# Messages and senders
# --------------------------------------------------------------------------
def message(screening_id: str, outcome: str, settings: Settings) -> dict:
    """The whole content of a notification: id, outcome, link. Nothing else."""
    link = f"{settings.dashboard_url}leads/{screening_id}"
    return {
        "lead_id": screening_id,
        "outcome": outcome,
        "link": link,
        "text": f"New pre-screening lead {screening_id}: {_OUTCOME_TEXT.get(outcome, outcome)}. {link}",
    }


def send_email(settings: Settings, msg: dict, timeout: float) -> None:
    mail = EmailMessage()
    mail["Subject"] = f"Pre-screening lead {msg['lead_id']}: {_OUTCOME_TEXT.get(msg['outcome'], msg['outcome'])}"
    mail["From"] = settings.from_addr
    mail["To"] = ", ".join(settings.to_addrs)
    mail.set_content(f"Lead: {msg['lead_id']}\nOutcome: {msg['outcome']}\nDashboard: {msg['link']}\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(mail, from_addr=settings.from_addr, to_addrs=list(settings.to_addrs))


def send_webhook(settings: Settings, msg: dict, timeout: float) -> None:
    body = json.dumps(msg).encode("utf-8")
    request = urllib.request.Request(
        settings.webhook_url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "prescreening-notify"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if not 200 <= response.status < 300:
            raise RuntimeError(f"HTTP {response.status}")


_SENDERS = {"email": send_email, "webhook": send_webhook}


def _short_error(exc: BaseException) -> str:
    """What went wrong, short, without URLs (a webhook URL may hold a token)."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return f"URLError: {type(reason).__name__}: {reason}"[:200]
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code}"
    return f"{type(exc).__name__}: {exc}"[:200]


# --------------------------------------------------------------------------
# Outbox
# --------------------------------------------------------------------------
def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


def _store(store: Any):
    if store is not None:
        return store
    from bot.store import LeadStore

    return LeadStore()


def enqueue(
    screening_id: str, *, store: Any = None, settings: Settings | None = None, now: datetime | None = None
) -> list[str]:
    """Queue the notifications of a finished screening (only for
    likely_eligible / needs_review, once per channel). Returns the channels
    newly queued."""
    global _logged_unconfigured
    settings = settings or settings_from_env()
    channels = settings.channels()
    if not channels:
        if not _logged_unconfigured:
            logger.info(
                "no staff notification channel configured (NOTIFY_SMTP_HOST + "
                "NOTIFY_TO or NOTIFY_WEBHOOK_URL); nothing is sent"
            )
            _logged_unconfigured = True
        return []
    return _store(store).enqueue_notifications(screening_id, channels, NOTIFY_OUTCOMES, _iso(_now(now)))


def send_due(
    *,
    store: Any = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    screening_id: str | None = None,
    timeout: float = RETRY_TIMEOUT,
    deadline: float | None = None,
) -> dict:
    """Try every due pending notification once (optionally of one screening).

    ``deadline`` (a ``time.monotonic()`` value) stops before starting a send
    that could not finish in time; what is left stays due. Returns counts
    ``{"sent", "retry", "failed", "skipped"}``."""
    st = _store(store)
    settings = settings or settings_from_env()
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    for row in st.due_notifications(_iso(_now(now)), screening_id):
        t = timeout
        if deadline is not None:
            t = min(timeout, deadline - time.monotonic())
            if t < 0.2:
                counts["skipped"] += 1
                continue
        at = _now(now)
        attempt = row["attempts"] + 1
        if attempt > MAX_ATTEMPTS:  # interrupted on its last attempt
            st.finish_notification(row["id"], sent=False, now=_iso(at), error=row["last_error"] or "gave up")
            counts["failed"] += 1
            continue
        retry_at = _iso(at + BACKOFF[attempt - 1]) if attempt <= len(BACKOFF) else None
        # The lease: if this process dies mid-send, the row is retried later.
        lease = retry_at or _iso(at + BACKOFF[-1])
        if not st.claim_notification(row["id"], row["attempts"], _iso(at), lease):
            counts["skipped"] += 1
            continue
        channel = row["channel"]
        try:
            if (
                channel == "email"
                and not settings.email_enabled
                or channel == "webhook"
                and not settings.webhook_enabled
            ):
                raise RuntimeError(f"{channel} channel is not configured")
            _SENDERS[channel](settings, message(row["screening_id"], row["outcome"], settings), t)
        except Exception as exc:  # noqa: BLE001 - a notification failure must never fail the reply; retried later
            error = _short_error(exc)
            st.finish_notification(row["id"], sent=False, now=_iso(_now(now)), error=error, next_attempt_at=retry_at)
            counts["failed" if retry_at is None else "retry"] += 1
            logger.warning(
                "staff notification %s (%s) for screening %s failed (attempt %d): %s",
                row["id"],
                channel,
                row["screening_id"],
                attempt,
                error,
            )
        else:
            st.finish_notification(row["id"], sent=True, now=_iso(_now(now)))
            counts["sent"] += 1
    return counts


def notify_finished(
    screening_id: str, *, budget: float = ACTION_BUDGET, store: Any = None, settings: Settings | None = None
) -> None:
    """For the chat action: queue and try once, within ``budget`` seconds.
    Never raises; whatever is not sent stays queued for ``notify-retry``."""
    try:
        started = time.monotonic()
        if not enqueue(screening_id, store=store, settings=settings):
            return
        deadline = started + budget

        def attempt() -> None:
            try:
                send_due(store=store, settings=settings, screening_id=screening_id, timeout=budget, deadline=deadline)
            except Exception as exc:  # noqa: BLE001 - a notification failure must never fail the reply; retried later
                logger.error("staff notification for screening %s: %s", screening_id, type(exc).__name__)

        # A thread bounds the wait even if e.g. a DNS look-up hangs; a row it
        # has claimed is finished by it later or retried after its lease.
        worker = threading.Thread(target=attempt, name="notify", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()) + 0.1)
    except Exception as exc:  # noqa: BLE001 - a notification failure must never fail the reply; retried later
        logger.error("could not queue staff notification for screening %s: %s", screening_id, type(exc).__name__)

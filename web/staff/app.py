"""The staff dashboard (Flask): the coordinator's lead list with search,
filters and follow-up, lead pages, the review queue, notifications, the audit
log, exports and the account page, all behind a login with a second factor.

Everything a patient typed reaches the page only through Jinja's
auto-escaping (no ``|safe`` anywhere), under a strict Content-Security-Policy.
Every text staff read comes from ``web/staff/i18n/<language>.yaml``. Every
request of a logged-in staff member leaves an audit row: the views write
their own (with counts); any other (a refused form, a 404, an error) gets a
generic one from :func:`audit_every_request`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, Response, flash, g, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import describe
from bot.local_secrets import secret
from bot.store import LeadStore
from bot.store.accounts import StaffAccounts, StaffUser
from bot.store.records import reference
from web.staff import present, settings
from web.staff.i18n import Texts, default_language, languages

logger = logging.getLogger(__name__)

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
UNAUDITED = ("static", "healthz")


def criterion_source(criterion_id: str, trial_id: str | None) -> dict | None:
    """The registry wording of a criterion ({"ref": "Inclusion 5", "text": ...}),
    so that staff decide against the source, not the bot's paraphrase. Only
    from the screening's own trial file: another trial's wording would mislead."""
    return describe.criterion_source(criterion_id, trial_id, texts().language)


class DashboardUser(UserMixin):
    """A logged-in staff member; the id Flask-Login keeps is the session token."""

    def __init__(self, token: str, staff: StaffUser):
        self.id = token
        self.staff = staff

    @property
    def username(self) -> str:
        return self.staff.username


def texts() -> Texts:
    """The texts of this request: the account's language, else the browser's
    Accept-Language (a language with a file), else STAFF_LANGUAGE."""
    found = g.get("texts")
    if found is None:
        language = default_language()
        try:
            language = request.accept_languages.best_match(languages()) or language
        except RuntimeError:  # outside a request
            pass
        try:
            if current_user and current_user.is_authenticated:
                language = current_user.staff.language or language
        except Exception:  # noqa: BLE001 - outside a request or before the user is loaded: the default language
            pass
        found = g.texts = Texts(language)
    return found


def t(key: str, **values) -> str:
    return texts()(key, **values)


def tn(key: str, count: int, **values) -> str:
    return texts().n(key, count, **values)


def create_app(store: LeadStore | None = None, *, testing: bool = False) -> Flask:
    app = Flask(__name__)
    store = store or LeadStore()
    accounts = StaffAccounts(store)
    secure = settings.secure_cookies()
    settings.site_timezone()  # a bad STAFF_TIMEZONE stops the start, with its name
    _configure(app, store, accounts, secure, testing)
    _install_login(app, accounts)
    from web.staff import auth, views

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(views.blueprint)

    @app.before_request
    def per_request():
        g.store = store
        g.accounts = accounts
        g.audited = False

    _install_headers_and_audit(app, store, secure)
    _install_error_pages(app)
    _install_template_helpers(app, accounts)

    @app.route("/healthz")
    def healthz():
        """For `make run` and load balancers: up, no login, no data."""
        return Response("ok\n", mimetype="text/plain")

    return app


def _configure(app: Flask, store: LeadStore, accounts: StaffAccounts, secure: bool, testing: bool) -> None:
    """Cookies, CSRF and size limits; the store and the accounts for every request."""
    app.config.update(
        SECRET_KEY=secret("STAFF_SECRET_KEY"),
        SESSION_COOKIE_NAME="staff_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=accounts.max_age,
        REMEMBER_COOKIE_DURATION=timedelta(0),
        WTF_CSRF_TIME_LIMIT=int(accounts.max_age.total_seconds()),
        WTF_CSRF_SSL_STRICT=False,  # the referrer is not sent (Referrer-Policy: no-referrer)
        MAX_CONTENT_LENGTH=64 * 1024,
        TESTING=testing,
    )
    app.extensions["lead_store"] = store
    app.extensions["staff_accounts"] = accounts
    if settings.behind_proxy():
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


def _install_login(app: Flask, accounts: StaffAccounts) -> None:
    """CSRF on every form; Flask-Login over the server-side session rows."""
    CSRFProtect(app)
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(token: str) -> DashboardUser | None:
        staff = accounts.session(token)
        return DashboardUser(token, staff) if staff else None

    @login_manager.unauthorized_handler
    def unauthorized():
        flash(t("login.please"), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def _install_headers_and_audit(app: Flask, store: LeadStore, secure: bool) -> None:
    """Security headers on every answer, and an audit row for every staff request."""

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if not request.path.startswith("/static/"):
            headers["Cache-Control"] = "no-store"  # health data: never in a browser cache
        if secure:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.after_request
    def audit_every_request(response: Response) -> Response:
        """A staff member's request that its view did not audit (a refused
        form, a bad filter, a 404, an error) still leaves a row: the endpoint,
        the ids in the path and the status, never the query or the form."""
        if g.get("audited") or request.endpoint in UNAUDITED:
            return response
        try:
            if not (current_user and current_user.is_authenticated):
                return response
            ids = ", ".join(f"{k}={v}"[:120] for k, v in (request.view_args or {}).items())
            store.record_audit(
                current_user.username,
                f"request {request.method} {request.endpoint or 'unknown'}",
                None,
                f"status={response.status_code}" + (f", {ids}" if ids else ""),
            )
        except Exception as error:  # noqa: BLE001 - the answer must not fail for the audit; logged by type
            logger.error("could not audit a dashboard request: %s", type(error).__name__)
        return response


def _install_error_pages(app: Flask) -> None:
    """Readable error pages; errors logged by type only (a request may carry health data)."""

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return render_template("error.html", title=t("errors.csrf.title"), message=t("errors.csrf.message")), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        key = f"errors.http.{error.code}"
        title = t(key) if texts().has(key) else f"{error.code}"
        message = error.description if getattr(error, "localised", False) else t("errors.http.message")
        return render_template("error.html", title=title, message=message), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # Logged by type only: the request may carry health data.
        logger.error("dashboard error on %s %s: %s", request.method, request.endpoint, type(error).__name__)
        from bot.store import LeadStoreUnavailable

        if isinstance(error, LeadStoreUnavailable):
            return render_template("error.html", title=t("errors.busy.title"), message=t("errors.busy.message")), 503
        return render_template("error.html", title=t("errors.crash.title"), message=t("errors.crash.message")), 500


def _install_template_helpers(app: Flask, accounts: StaffAccounts) -> None:
    @app.context_processor
    def helpers():
        return {
            "t": t,
            "tn": tn,
            "texts": texts,
            "criterion_source": criterion_source,
            "criterion_name": lambda cid, trial_id: describe.criterion_name(cid, trial_id, texts().language),
            "short_name": lambda cid, trial_id: present.short_name(cid, trial_id, texts().language),
            "describe_entry": lambda entry, cid=None, trial_id=None: describe.describe_entry(
                entry, cid, texts().language, trial_id
            ),
            "plain_reason": lambda reason, answer=None, confidence=None: describe.plain_reason(
                reason, answer, confidence, texts().language
            ),
            "local_text": present.local_text,
            "phone_text": present.phone_text,
            "local_input_value": present.local_input_value,
            "ago": lambda value: present.ago(value, texts()),
            "callback_state": present.callback_state,
            "reference": reference,
            "languages": languages,
            "timezone_name": settings.site_timezone_name(),
            "totp_off": not accounts.require_totp,
        }

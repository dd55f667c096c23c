"""The staff dashboard (Flask): lead list, lead pages, the review queue,
notifications, the audit log and the CSV/JSON export, all behind a login.

Everything a patient typed reaches the page only through Jinja's
auto-escaping (no ``|safe`` anywhere), under a strict Content-Security-Policy.
Every page view, export and decision is written to the audit table.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, Response, g, render_template, request
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.local_secrets import secret
from bot.store import LeadStore
from bot.store.accounts import StaffAccounts, StaffUser
from web.staff import settings

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


def criterion_source(criterion_id: str, trial_id: str | None) -> dict | None:
    """The registry wording of a criterion ({"ref": "Inclusion 5", "text": ...}),
    so that staff decide against the source, not the bot's paraphrase. Only
    from the screening's own trial: another trial's wording would mislead."""
    from bot.trial import get_trial

    trial = get_trial()
    if trial_id != trial.id:
        return None
    try:
        criterion = trial.criterion(criterion_id)
    except (KeyError, LookupError, ValueError):
        return None
    return {"ref": criterion.source_ref, "text": criterion.source}


class DashboardUser(UserMixin):
    """A logged-in staff member; the id Flask-Login keeps is the session token."""

    def __init__(self, token: str, staff: StaffUser):
        self.id = token
        self.staff = staff

    @property
    def username(self) -> str:
        return self.staff.username


def create_app(store: LeadStore | None = None, *, testing: bool = False) -> Flask:
    app = Flask(__name__)
    store = store or LeadStore()
    accounts = StaffAccounts(store)
    secure = settings.secure_cookies()
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

    CSRFProtect(app)
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see the screenings."
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(token: str) -> DashboardUser | None:
        staff = accounts.session(token)
        return DashboardUser(token, staff) if staff else None

    from web.staff import auth, views

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(views.blueprint)

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

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return render_template(
            "error.html",
            title="The form has expired",
            message="This form is too old or did not come from this dashboard. Go back, reload the page and try again.",
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_template("error.html", title=f"{error.code} {error.name}", message=error.description), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # Logged by type only: the request may carry health data.
        logger.error("dashboard error on %s %s: %s", request.method, request.endpoint, type(error).__name__)
        from bot.store import LeadStoreUnavailable

        if isinstance(error, LeadStoreUnavailable):
            return render_template(
                "error.html",
                title="The database is busy",
                message="The lead database did not answer in time. Nothing was changed; try again in a moment.",
            ), 503
        return render_template(
            "error.html",
            title="Something went wrong",
            message="The dashboard hit an error; nothing was changed. Try again, and tell IT if it keeps happening.",
        ), 500

    @app.context_processor
    def labels():
        from bot.summary import OUTCOME_LABELS, ROLE_LABELS, VERDICT_LABELS

        return {
            "OUTCOME_LABELS": OUTCOME_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "VERDICT_LABELS": VERDICT_LABELS,
            "criterion_source": criterion_source,
        }

    @app.route("/healthz")
    def healthz():
        """For `make run` and load balancers: up, no login, no data."""
        return Response("ok\n", mimetype="text/plain")

    @app.template_filter("dict_without")
    def dict_without(mapping: dict, key: str) -> dict:
        return {k: v for k, v in mapping.items() if k != key}

    @app.before_request
    def per_request():
        g.store = store
        g.accounts = accounts

    return app

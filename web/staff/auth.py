"""Logging in and out of the dashboard: named accounts, a password, then a
second factor (a TOTP code or a recovery code), server-side sessions."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from web.staff.forms import ActionForm, CodeForm, LoginForm

blueprint = Blueprint("auth", __name__)
CHALLENGE = "login_challenge"  # the Flask session key between the password and the code
NEXT = "login_next"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target.rstrip("?") or "/"
    return url_for("views.leads")


def _client() -> str:
    return request.remote_addr or "unknown"


def _t(key: str, **values) -> str:
    from web.staff.app import t

    return t(key, **values)


def _start(result) -> None:
    from web.staff.app import DashboardUser

    session.clear()  # a fresh session: nothing carried over from before the login
    login_user(DashboardUser(result.token, result.user))
    g.texts = None  # the account's language from now on
    g.audited = True  # the accounts wrote the "login" row


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("views.leads"))
    form = LoginForm()
    status = 200
    if not g.accounts.has_users():
        return render_template("login.html", form=form, no_accounts=True), 503
    if request.method == "POST" and not form.validate_on_submit():
        status = 400
    elif request.method == "POST":
        result = g.accounts.login(form.username.data or "", form.password.data or "", client=_client())
        if result.ok:
            _start(result)
            return redirect(_safe_next(request.args.get("next")))
        if result.needs_code:
            session.clear()
            session[CHALLENGE] = result.challenge
            session[NEXT] = _safe_next(request.args.get("next"))
            return redirect(url_for("auth.code"))
        if result.locked_for:
            flash(_t("login.locked", seconds=result.locked_for), "error")
            status = 429
        elif result.no_second_factor:
            flash(_t("login.no_second_factor"), "error")
            status = 403
        else:
            flash(_t("login.wrong"), "error")
            status = 401
    return render_template("login.html", form=form, no_accounts=False), status


@blueprint.route("/login/code", methods=["GET", "POST"])
def code():
    """The second step: the 6-digit code of the authenticator app, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("views.leads"))
    challenge = session.get(CHALLENGE)
    if not challenge:
        flash(_t("login.code_expired"), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    status = 200
    if request.method == "POST" and not form.validate_on_submit():
        status = 400
    elif request.method == "POST":
        result = g.accounts.second_factor(challenge, form.code.data or "", client=_client())
        if result.ok:
            target = session.get(NEXT)
            _start(result)
            if result.recovery_codes_left is not None:
                flash(_t("login.recovery_used", left=result.recovery_codes_left), "info")
            return redirect(_safe_next(target))
        if result.challenge_gone:
            session.pop(CHALLENGE, None)
            flash(_t("login.code_expired"), "error")
            return redirect(url_for("auth.login"))
        if result.locked_for:
            flash(_t("login.locked", seconds=result.locked_for), "error")
            status = 429
        else:
            flash(_t("login.code_wrong"), "error")
            status = 401
    return render_template("login_code.html", form=form), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    if ActionForm().validate_on_submit():
        g.accounts.end_session(current_user.id)
        g.audited = True  # end_session writes the audit row
        logout_user()
        session.clear()
        flash(_t("login.logged_out"), "info")
    return redirect(url_for("auth.login"))

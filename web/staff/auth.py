"""Logging in and out of the dashboard (named accounts, server-side sessions)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from web.staff.forms import ActionForm, LoginForm

blueprint = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("views.leads")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("views.leads"))
    form = LoginForm()
    status = 200
    if not g.accounts.has_users():
        return render_template("login.html", form=form, no_accounts=True), 503
    if form.validate_on_submit():
        from web.staff.app import DashboardUser

        result = g.accounts.login(form.username.data, form.password.data, client=request.remote_addr or "unknown")
        if result.ok:
            session.clear()  # a fresh session: nothing carried over from before the login
            login_user(DashboardUser(result.token, result.user))
            return redirect(_safe_next(request.args.get("next")))
        if result.locked_for:
            flash(f"Too many failed attempts. Try again in {result.locked_for} seconds.", "error")
            status = 429
        else:
            flash("The user name or the password is wrong.", "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form, no_accounts=False), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    if ActionForm().validate_on_submit():
        g.accounts.end_session(current_user.id)
        logout_user()
        session.clear()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))

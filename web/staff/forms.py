"""The dashboard's forms (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length


class LoginForm(FlaskForm):
    username = StringField(
        "User name",
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "current-password"}
    )
    submit = SubmitField("Log in")


class ResolveForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=[("pass", "Pass: the criterion is met"), ("fail", "Fail: the criterion is not met")],
        validators=[InputRequired(message="Choose pass or fail.")],
    )
    note = TextAreaField(
        "Why (kept with the decision)",
        validators=[DataRequired(message="Say why: the note is kept with the decision."), Length(max=2000)],
    )
    submit = SubmitField("Record decision")


class ActionForm(FlaskForm):
    """A button that changes something (log out, retry a notification): CSRF only."""

    submit = SubmitField("Go")


class EraseForm(FlaskForm):
    """Right to erasure from the lead page: an explicit tick, so a stray click erases nothing."""

    confirm = BooleanField(
        "The person asked for their data to be erased. Erase the screening and the stored conversation for good.",
        validators=[DataRequired(message="Tick the box to confirm the erasure: nothing was deleted.")],
    )
    submit = SubmitField("Erase this person's data")

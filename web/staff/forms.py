"""The dashboard's forms (Flask-WTF: every POST carries a CSRF token).

Labels and messages are not here: templates take them from the language
files (web/staff/i18n/), and the views check the values and say what is
wrong in the staff member's language. The fields only name what is posted.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class LoginForm(FlaskForm):
    username = StringField(validators=[Length(max=64)])
    password = PasswordField(validators=[Length(max=1024)])


class CodeForm(FlaskForm):
    """The second factor: a 6-digit code from the authenticator app, or a recovery code."""

    code = StringField(validators=[Length(max=40)])


class ResolveForm(FlaskForm):
    decision = StringField()
    note = TextAreaField(validators=[Length(max=2000)])


class FollowUpForm(FlaskForm):
    status = StringField(validators=[Optional()])
    owner = StringField(validators=[Optional()])
    callback = StringField(validators=[Optional()])  # datetime-local, site time zone
    clear_callback = BooleanField()


class CallForm(FlaskForm):
    result = StringField()
    status = StringField(validators=[Optional()])
    callback = StringField(validators=[Optional()])
    note = TextAreaField(validators=[Optional()])


class NoteForm(FlaskForm):
    text = TextAreaField()


class AccountForm(FlaskForm):
    language = StringField()


class ActionForm(FlaskForm):
    """A button that changes something (log out, retry a notification): CSRF only."""


class EraseForm(FlaskForm):
    """Right to erasure from the lead page: an explicit tick, so a stray click erases nothing."""

    confirm = BooleanField()

"""Staff sign-in and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..services.text import clean


def _clean(value):
    return clean(value) if isinstance(value, str) else value


class SignInForm(FlaskForm):
    email = EmailField("Email address", filters=[_clean],
                       validators=[DataRequired("Enter your email address."), Length(max=254)],
                       render_kw={"autocomplete": "username", "autocapitalize": "none",
                                  "spellcheck": "false"})
    # No length limit here: a too-long password simply does not match, like any wrong one.
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "New password", validators=[DataRequired("Enter a new password.")],
        description="At least 12 characters. A few unrelated words together work well.",
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired("Type the new password again."),
                    EqualTo("new_password", "The two new passwords are not the same.")],
        render_kw={"autocomplete": "new-password"})


class KeepAliveForm(FlaskForm):
    next = HiddenField()

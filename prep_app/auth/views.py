"""Staff sign-in and sign-out, the "stay signed in" refresh and a person's own password.

``auth`` itself is public (the sign-in page). Its nested ``auth.account`` blueprint is for
signed-in staff and is guarded once, like every staff blueprint.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import limits
from ..database import after_commit, reads_first, start_writing
from ..errors import on_input_error
from ..services import accounts, sign_in
from . import devices, forms
from .access import (
    STAFF,
    end_session,
    home_for,
    require_roles,
    safe_next,
    seconds_left,
    session_expired,
    start_session,
)

bp = Blueprint("auth", __name__, url_prefix="/staff")
account = Blueprint("account", __name__, url_prefix="/account")
require_roles(account, *STAFF)

SIGN_IN_FAILED = ("That email and password do not match an active account. After "
                  f"{sign_in.MAX_FAILED_SIGN_INS} wrong tries in a row, signing in to an account "
                  f"pauses for {int(sign_in.LOCK_DURATION.total_seconds() // 60)} minutes.")


@bp.app_context_processor
def staff_session_timing():
    """``session_timing()`` in templates: when the idle and absolute limits end this session."""
    return {"session_timing": seconds_left}


@bp.route("/sign-in", methods=["GET", "POST"])
@reads_first
@limits.sign_in
def login():
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        if not session_expired():
            return redirect(target or home_for(current_user))
        end_session()
    form = forms.SignInForm()
    if request.method == "GET":
        form.next.data = target or ""
    failed = False
    if form.validate_on_submit():
        found = sign_in.check_credentials(form.email.data, form.password.data)
        nonce = devices.known_nonce(found.user_id)
        start_writing()  # the hash is checked: only now take the write lock
        # The sign-in, or the failure and its count, is stored whatever the answer.
        user = sign_in.record_sign_in(found, form.password.data, known_browser=bool(nonce))
        if user is not None:
            after_commit(lambda: start_session(user))
            return devices.remember(redirect(target or home_for(user)), user.id)
        if nonce and found.user_id is not None:
            devices.count_failure(nonce)
        failed = True
    expired = request.args.get("expired") == "1" and request.method == "GET"
    return render_template("auth/login.html", form=form, failed=failed, expired=expired,
                           message=SIGN_IN_FAILED)


@bp.post("/sign-out")
def logout():
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        sign_in.sign_out(user)
    end_session()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@account.post("/keep-alive")
def keep_alive():
    """"Stay signed in": the guard has already counted this request as activity."""
    if request.headers.get("X-Requested-With") == "fetch":
        return "", 204
    form = forms.KeepAliveForm()
    return redirect(safe_next(form.next.data) or home_for(current_user))


@account.route("/password", methods=["GET", "POST"])
def password():
    form = forms.PasswordChangeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():

        def refused(error: accounts.StaffError):  # the new password is not one we can take
            form.new_password.errors = [error.message]
            return render_template("auth/password.html", form=form)

        on_input_error(refused)
        if sign_in.change_own_password(user, form.current_password.data, form.new_password.data):
            # This browser stays signed in; every other session ends.
            after_commit(lambda: start_session(user))
            flash("Your password is changed. You were signed out everywhere else.")
            return redirect(home_for(user))
        # The wrong current password is counted (the request stores it).
        if sign_in.is_locked(user):
            sign_in.sign_out(user, reason="too many wrong passwords")
            end_session()
            flash("You were signed out after several wrong passwords.")
            return redirect(url_for("auth.login"))
        form.current_password.errors = ["That is not your current password."]
    return render_template("auth/password.html", form=form)


bp.register_blueprint(account)

"""Who may use what. Each staff blueprint is guarded once, in ``before_request``, so a new route
cannot forget its check. Staff sessions carry the user's id and session epoch only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user

from ..extensions import db, login_manager
from ..models import Role, User
from ..services import settings


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session stores "<id>:<epoch>"; a bumped epoch (logout, deactivation, new password)
    makes every older cookie worthless, wherever it was copied to."""
    try:
        user_id, epoch = (int(part) for part in session_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_epoch != epoch or not user.is_active_account:
        return None
    return user


def _now() -> datetime:
    return datetime.now(UTC)


def session_expired() -> bool:
    """Idle for longer than the clinic's setting, or signed in longer than the absolute limit."""
    now = _now().timestamp()
    idle = settings.get().idle_timeout_minutes * 60
    absolute = current_app.config["ABSOLUTE_SESSION_HOURS"] * 3600
    return (now - session.get("seen_at", 0) > idle
            or now - session.get("signed_in_at", 0) > absolute)


def require_roles(bp: Blueprint, *roles: Role) -> None:
    """Guard every route of ``bp``: signed-in staff with one of ``roles``, within time limits."""

    @bp.before_request
    def _guard():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if session_expired():
            logout_user()
            session.clear()
            return redirect(url_for("auth.login", expired=1))
        if current_user.role not in roles:
            abort(403)
        # htmx polling does not count as activity: an idle board still signs out.
        if request.headers.get("HX-Trigger-Name") != "auto-refresh":
            session["seen_at"] = _now().timestamp()


def idle_deadline() -> datetime:
    return datetime.fromtimestamp(session.get("seen_at", 0), UTC) + timedelta(
        minutes=settings.get().idle_timeout_minutes)


STAFF = (Role.FRONT_DESK, Role.CLINICIAN, Role.ADMIN)

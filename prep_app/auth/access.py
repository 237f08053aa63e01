"""Who may use what. Each staff blueprint is guarded once, in ``before_request``, so a new route
cannot forget its check. Staff sessions carry the user's id and session epoch only (and two
timestamps): no role, no name, nothing about patients."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from ..extensions import db, login_manager
from ..models import Role, User, utcnow
from ..services import settings

STAFF = (Role.FRONT_DESK, Role.CLINICIAN, Role.ADMIN)
HOME_ENDPOINTS = {Role.FRONT_DESK: "frontdesk.board", Role.CLINICIAN: "clinician.queue",
                  Role.ADMIN: "admin.index"}
SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"
WARN_SECONDS = 60  # the page warns this long before the idle timeout signs the person out
MAX_NEXT_LENGTH = 2000


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


def _now() -> float:
    return utcnow().timestamp()


def idle_seconds() -> int:
    return settings.get().idle_timeout_minutes * 60


def absolute_seconds() -> float:
    return current_app.config["ABSOLUTE_SESSION_HOURS"] * 3600


def session_expired() -> bool:
    """Idle for longer than the clinic's setting, or signed in longer than the absolute limit.
    A session without its timestamps counts as expired."""
    now = _now()
    return (now - session.get(SEEN_AT, 0) > idle_seconds()
            or now - session.get(SIGNED_IN_AT, 0) > absolute_seconds())


def start_session(user: User) -> None:
    """A fresh session for ``user``: anything the browser carried before is dropped."""
    session.clear()
    login_user(user, remember=False)
    session[SIGNED_IN_AT] = session[SEEN_AT] = _now()


def end_session() -> None:
    logout_user()
    session.clear()


def seconds_left() -> dict:
    """For the idle-timeout warning: seconds until the idle and the absolute limits."""
    now = _now()
    return {
        "idle": max(0, int(session.get(SEEN_AT, 0) + idle_seconds() - now)),
        "absolute": max(0, int(session.get(SIGNED_IN_AT, 0) + absolute_seconds() - now)),
        "warn": WARN_SECONDS,
    }


def home_for(user: User) -> str:
    return url_for(HOME_ENDPOINTS.get(user.role, "frontdesk.board"))


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a page of this site a signed-in person can GET; otherwise None.

    Refuses anything a browser could read as another site: absolute URLs, ``//host``,
    backslashes (``/\\host``), control characters and spaces, encoded variants of those, and
    paths that are not routes of this app.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return None
    decoded = target
    for _ in range(3):  # what the browser sees after one, two or three rounds of decoding
        if not _looks_local(decoded):
            return None
        decoded = unquote(decoded)
    if not _looks_local(decoded):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except (HTTPException, RequestRedirect):
        return None
    if endpoint.startswith("auth.") or endpoint == "static":
        return None
    return target


def _looks_local(value: str) -> bool:
    return (value.startswith("/") and not value.startswith("//") and "\\" not in value
            and all(0x20 < ord(ch) < 0x7F for ch in value))


def signed_in() -> User:
    """The member of staff signed in to this request: the actor the views pass to services."""
    return current_user._get_current_object()


def require_roles(bp: Blueprint, *roles: Role) -> None:
    """Guard every route of ``bp``: signed-in staff with one of ``roles``, within time limits."""

    @bp.before_request
    def _guard():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=_here()))
        if session_expired():
            end_session()
            return redirect(url_for("auth.login", expired=1, next=_here()))
        if current_user.role not in roles:
            abort(403)
        # htmx polling does not count as activity: an idle board still signs out.
        if request.headers.get("HX-Trigger-Name") != "auto-refresh":
            session[SEEN_AT] = _now()
        return None


def _here() -> str | None:
    """Where to come back to after signing in (GET pages only)."""
    if request.method != "GET":
        return None
    return safe_next(request.full_path.rstrip("?"))

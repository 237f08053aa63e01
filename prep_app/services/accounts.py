"""Staff accounts: creating them, their roles, passwords set by an admin, deactivation.

Every change here adds its audit row and flushes; the caller commits once.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from ..extensions import db
from ..models import Role, User
from . import audit, text
from .errors import InputError
from .passwords import hash_password, password_problem


class StaffError(InputError):
    """A request about staff cannot be done; the message says why, in plain words, and
    ``field`` names the form field it is about, when there is one."""


def check_password(password: str | None, *, email: str = "", name: str = "") -> str:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise StaffError(problem, "password")
    return password or ""


def normalise_email(raw: str | None) -> str:
    return text.clean(raw).lower()


def _check_email(raw: str | None) -> str:
    email = normalise_email(raw)
    if not email:
        raise StaffError("Enter an email address.", "email")
    try:
        # Syntax only (no DNS look-up). .test addresses are accepted: reserved, nobody else's.
        validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise StaffError("That email address does not look right.", "email") from None
    return email


def _check_name(raw: str | None) -> str:
    name = " ".join(text.clean(raw).split())
    if not name:
        raise StaffError("Enter the person's name.", "name")
    if len(name) > 120:
        raise StaffError("Keep the name under 120 characters.", "name")
    return name


def _check_role(raw) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise StaffError("Choose front desk, clinician or clinic admin.", "role") from None


def find_by_email(email: str | None) -> User | None:
    email = normalise_email(email)
    if not email:
        return None
    return db.session.scalar(select(User).where(User.email == email))


def check_new_account(email: str, name: str, role: str | Role) -> tuple[str, str, Role]:
    """The cleaned email, name and role of a new account, or StaffError saying what is wrong."""
    email, name, role = _check_email(email), _check_name(name), _check_role(role)
    if find_by_email(email) is not None:
        raise StaffError("There is already an account with that email address.", "email")
    return email, name, role


def create(email: str, name: str, role: str | Role, password: str, actor=None,
           detail: str = "") -> User:
    email, name, role = check_new_account(email, name, role)
    check_password(password, email=email, name=name)
    user = User(email=email, name=name, role=role, password_hash=hash_password(password),
                is_active_account=True, failed_sign_ins=0, session_epoch=0)
    db.session.add(user)
    db.session.flush()
    audit.record("staff.create", record_type="user", record_id=user.id,
                 detail=f"role {role.value}{detail}", actor=actor)
    return user


def end_sessions(user: User) -> None:
    """Every session cookie of this user, wherever it was copied to, stops working."""
    user.session_epoch = (user.session_epoch or 0) + 1


def set_password(user: User, password: str, actor=None, action: str = "staff.password_set",
                 detail: str = "") -> None:
    check_password(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    end_sessions(user)
    audit.record(action, record_type="user", record_id=user.id, detail=detail, actor=actor)
    db.session.flush()


def change_role(user: User, role: str | Role, actor=None) -> bool:
    role = _check_role(role)
    _refuse_own_account(user, actor)
    if user.role == role:
        return False
    old = user.role
    user.role = role
    audit.record("staff.role_change", record_type="user", record_id=user.id,
                 detail=f"{old.value} to {role.value}", actor=actor)
    db.session.flush()
    return True


def deactivate(user: User, actor=None, detail: str = "") -> bool:
    _refuse_own_account(user, actor)
    if not user.is_active_account:
        return False
    user.is_active_account = False
    end_sessions(user)
    audit.record("staff.deactivate", record_type="user", record_id=user.id, detail=detail,
                 actor=actor)
    db.session.flush()
    return True


def reactivate(user: User, actor=None) -> bool:
    if user.is_active_account:
        return False
    user.is_active_account = True
    user.failed_sign_ins = 0
    user.locked_until = None
    audit.record("staff.reactivate", record_type="user", record_id=user.id, actor=actor)
    db.session.flush()
    return True


def _refuse_own_account(user: User, actor) -> None:
    # An admin who demoted or deactivated themselves could leave the clinic with no admin.
    if actor is not None and actor.id == user.id:
        raise StaffError("You cannot change your own role or deactivate your own account. "
                         "Ask another admin.")


def staff_list() -> list[User]:
    return list(db.session.scalars(
        select(User).order_by(User.is_active_account.desc(), func.lower(User.name), User.id)))

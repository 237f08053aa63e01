"""Staff accounts: passwords, sign-in with a per-account lockout, roles, deactivation; and the
clinic's settings, which only an admin changes.

Passwords are hashed with argon2id. They are 12 to 128 characters, never truncated, and a short
list of common ones is refused. Every change here adds its audit row and flushes; the caller
commits once.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..models import ClinicSettings, Role, User, utcnow
from . import audit, settings, text

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128  # ASVS 2.1.2: 64 and more accepted, more than 128 refused
MAX_FAILED_SIGN_INS = 5
LOCK_DURATION = timedelta(minutes=15)
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")

# Common passwords of 12 characters or more (from public breach lists), and words this clinic's
# staff would reach for first. Compared without case, spaces or punctuation.
COMMON_PASSWORDS = frozenset({
    "password1234", "password12345", "password123456", "passwordpassword", "password1111",
    "123456789012", "1234567890123", "12345678901234", "123456789000", "098765432112",
    "111111111111", "000000000000", "123123123123", "121212121212", "qwertyuiop12",
    "qwertyuiopas", "qwertyuiopasdf", "qwerty123456", "qwertyqwerty", "1qaz2wsx3edc",
    "1q2w3e4r5t6y", "asdfghjkl123", "zxcvbnm12345", "iloveyou1234", "iloveyouiloveyou",
    "letmein12345", "letmeinletmein", "welcome12345", "welcome123456", "welcomewelcome",
    "administrator", "administrator1", "adminadmin12", "admin1234567", "changeme1234",
    "changemenow1", "trustno1trustno1", "football1234", "baseball1234", "sunshine1234",
    "princess1234", "monkey123456", "dragon123456", "superman1234", "starwars1234",
    "abcdefghijkl", "abcdefg12345", "abc123abc123", "passw0rdpassw0rd", "p4ssw0rd1234",
    "ketamine1234", "ketamineclinic", "clinicpassword", "nursepassword", "doctorpassword",
    "frontdesk1234", "receptionist1", "hospital1234", "healthcare123", "patient12345",
})


class StaffError(ValueError):
    """A request about staff cannot be done; the message says why, in plain words, and
    ``field`` names the form field it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class WrongPassword(StaffError):
    """The current password given to change a password is not the right one."""


# Passwords ---------------------------------------------------------------------------------


@cache
def _hasher(cost: str) -> PasswordHasher:
    if cost == "test":
        # Only for the test suite (production refuses to start with it): fast, same format.
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    # argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): a sign-in then
    # costs a worker 19 MiB, not the library default's 64 MiB, keeping each under 100 MB.
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hasher() -> PasswordHasher:
    return _hasher(current_app.config.get("PASSWORD_HASH_COST", "normal"))


@cache
def _dummy_hash(cost: str) -> str:
    return _hasher(cost).hash(secrets.token_urlsafe(16))


def _normal_form(password: str) -> str:
    # The same password typed on two keyboards can differ in its Unicode form: compare one form.
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return hasher().hash(_normal_form(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, _normal_form(password))
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str | None, *, email: str = "", name: str = "") -> str | None:
    """Why this password cannot be used, or None. Spaces and any characters are welcome."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters. A few words together work well."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in password):
        return "Use letters, numbers, spaces and punctuation only."
    compact = "".join(ch for ch in password.casefold() if not ch.isspace())
    plain = "".join(ch for ch in compact if ch.isalnum())
    personal = {"".join(ch for ch in part.casefold() if ch.isalnum())
                for part in (email.split("@")[0], name, email)} - {""}
    if (plain in COMMON_PASSWORDS or plain in personal or len(set(compact)) <= 2
            or _is_sequence(compact)):
        return "That password is too easy to guess. Choose a longer or less common one."
    return None


def _is_sequence(plain: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in zip(plain, plain[1:], strict=False)}
    return len(steps) == 1 and steps <= {1, -1}


def check_password(password: str | None, *, email: str = "", name: str = "") -> str:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise StaffError(problem, "password")
    return password or ""


# No look-alikes (l, 1, I, o, 0), so a password read out over the phone arrives intact.
READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_password() -> str:
    """A temporary password for a new account or a reset: "k7mq2-x9bra-..." (20 random
    characters from 31, about 99 bits), in groups of five that are easy to read out."""
    while True:
        groups = ["".join(secrets.choice(READABLE) for _ in range(5)) for _ in range(4)]
        candidate = "-".join(groups)
        if password_problem(candidate) is None:
            return candidate


# Accounts ----------------------------------------------------------------------------------


def normalise_email(raw: str | None) -> str:
    return text.clean(raw).lower()


def _check_email(raw: str | None) -> str:
    email = normalise_email(raw)
    if not email:
        raise StaffError("Enter an email address.", "email")
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        raise StaffError("That email address does not look right.", "email")
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


def _end_sessions(user: User) -> None:
    """Every session cookie of this user, wherever it was copied to, stops working."""
    user.session_epoch = (user.session_epoch or 0) + 1


def set_password(user: User, password: str, actor=None, action: str = "staff.password_set",
                 detail: str = "") -> None:
    check_password(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    _end_sessions(user)
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
    _end_sessions(user)
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


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


# Sign-in -----------------------------------------------------------------------------------


def authenticate(email: str | None, password: str | None) -> User | None:
    """The user, when the email and password match an active account that is not locked.

    Every failure looks the same to the person signing in (unknown account, wrong password,
    locked, deactivated) and takes about as long: a password hash is always checked. Failures
    are counted on the account, whatever address they come from; too many in a row lock it
    for a while. Each attempt is audited; no email address or password is stored in the row.
    """
    password = password or ""
    email = normalise_email(email)
    user = None
    if email and len(email) <= 254:
        # FOR UPDATE: two failures at once on PostgreSQL both count (SQLite's write lock
        # already serialises the request).
        user = db.session.scalar(select(User).where(User.email == email).with_for_update())
    if user is None:
        verify_password(_dummy_hash(current_app.config.get("PASSWORD_HASH_COST", "normal")),
                        password)
        audit.record("sign_in.failed", detail="unknown account")
        db.session.flush()
        return None
    matches = verify_password(user.password_hash, password)
    now = utcnow()
    if is_locked(user, now) or not user.is_active_account:
        reason = "account locked" if user.is_active_account else "account deactivated"
        audit.record("sign_in.failed", record_type="user", record_id=user.id, detail=reason)
        db.session.flush()
        return None
    if not matches:
        register_failure(user, now)
        return None
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    audit.record("sign_in", record_type="user", record_id=user.id, actor=user)
    db.session.flush()
    return user


def register_failure(user: User, now: datetime | None = None,
                     detail: str = "wrong password") -> bool:
    """Count a wrong password; lock the account after too many. Returns True when it locked."""
    now = now or utcnow()
    user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
    locked = user.failed_sign_ins >= MAX_FAILED_SIGN_INS
    if locked:
        user.failed_sign_ins = 0
        user.locked_until = now + LOCK_DURATION
        detail += f"; locked for {int(LOCK_DURATION.total_seconds() // 60)} minutes"
    audit.record("sign_in.failed", record_type="user", record_id=user.id, detail=detail)
    db.session.flush()
    return locked


def sign_out(user: User, reason: str = "") -> None:
    """Sign this user out everywhere (the session epoch moves on)."""
    _end_sessions(user)
    audit.record("sign_out", record_type="user", record_id=user.id, detail=reason, actor=user)
    db.session.flush()


def change_own_password(user: User, current: str, new: str) -> None:
    """The person changes their own password. A wrong current password counts as a failed
    sign-in (so a borrowed session cannot guess it); other sessions end."""
    if not verify_password(user.password_hash, current or ""):
        register_failure(user, detail="wrong current password on password change")
        raise WrongPassword("That is not your current password.")
    if verify_password(user.password_hash, new or ""):
        raise StaffError("Choose a password different from your current one.", "password")
    set_password(user, new, actor=user, action="staff.password_change")


# Clinic settings ---------------------------------------------------------------------------


class SettingsConflict(StaffError):
    """Someone else saved the settings since this form was opened."""


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int


SETTING_BOUNDS = {
    "solid_fast_hours": Bounds(0, 24),
    "clear_fast_hours": Bounds(0, 24),
    "arrive_early_minutes": Bounds(0, 120),
    "link_grace_hours": Bounds(1, 720),
    "idle_timeout_minutes": Bounds(5, 60),
}
SETTING_FIELDS = ("name", "phone", "timezone", "country", *SETTING_BOUNDS, "is_dob_check_on")


@cache
def time_zones() -> tuple[str, ...]:
    """Time zones by place ("America/Denver"), and UTC."""
    places = (z for z in zoneinfo.available_timezones()
              if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    return ("UTC", *sorted(places))


def phone_regions() -> frozenset[str]:
    return frozenset(phonenumbers.SUPPORTED_REGIONS)


def clinic_phone(raw: str | None, country: str) -> str:
    """The clinic's phone number, checked, written the way people there write it."""
    raw = text.clean(raw)[:40]
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise StaffError("That phone number does not look right for the clinic's country.",
                         "phone")
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL
           if phonenumbers.region_code_for_number(number) == country
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


def clean_settings(values: dict) -> dict:
    """Check every setting; returns the cleaned values or raises StaffError naming the field."""
    out: dict = {}
    name = " ".join(text.clean(values.get("name")).split())
    if not name or len(name) > 120:
        raise StaffError("Enter the clinic's name (up to 120 characters).", "name")
    out["name"] = name
    country = text.clean(values.get("country")).upper()
    if country not in phone_regions():
        raise StaffError("Choose a country from the list.", "country")
    out["country"] = country
    zone = text.clean(values.get("timezone"))
    if zone not in time_zones():
        raise StaffError("Choose a time zone from the list.", "timezone")
    out["timezone"] = zone
    out["phone"] = clinic_phone(values.get("phone"), country)
    for key, bounds in SETTING_BOUNDS.items():
        value = values.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not (
                bounds.low <= value <= bounds.high):
            raise StaffError(f"Use a whole number from {bounds.low} to {bounds.high}.", key)
        out[key] = value
    if out["clear_fast_hours"] > out["solid_fast_hours"]:
        raise StaffError("Clear liquids cannot stop before solid food does: use a number no "
                         "larger than the hours for solid food.", "clear_fast_hours")
    out["is_dob_check_on"] = bool(values.get("is_dob_check_on"))
    return out


def update_settings(values: dict, expected_version: int, actor=None) -> list[str]:
    """Save the clinic's settings, when nobody saved them since ``expected_version`` was read.

    Returns the names of the settings that changed (also written to the audit row). The row's
    version column guards the race between two saves at the same moment, too.
    """
    clinic: ClinicSettings = settings.get()
    if clinic.version != expected_version:
        raise SettingsConflict("Someone else saved the settings while you were editing them.")
    cleaned = clean_settings(values)
    changed = [key for key in SETTING_FIELDS if getattr(clinic, key) != cleaned[key]]
    for key in changed:
        setattr(clinic, key, cleaned[key])
    if changed:
        audit.record("settings.update", record_type="clinic_settings", record_id=clinic.id,
                     detail="changed: " + ", ".join(changed), actor=actor)
        db.session.flush()
    return changed


# Demo accounts -----------------------------------------------------------------------------

DEMO_STAFF = (
    ("frontdesk@demo.example", "Frank Desk", Role.FRONT_DESK),
    ("clinician@demo.example", "Clara Nurse", Role.CLINICIAN),
    ("admin@demo.example", "Ada Admin", Role.ADMIN),
)


def demo_sign_ins() -> list[str]:
    """One demo account per role with a fresh random password each time: lines to print."""
    where = url_for("auth.login", _external=True) if has_request_context() else "/staff/sign-in"
    lines = [f"Demo staff sign-ins (new passwords each run), at {where}:"]
    for email, name, role in DEMO_STAFF:
        password = generate_password()
        user = find_by_email(email)
        if user is None:
            create(email, name, role, password, detail="; demo account")
        else:
            user.role, user.is_active_account = role, True
            set_password(user, password, detail="demo account")
        lines.append(f"  {role.label:<13} {email:<24} {password}")
    return lines

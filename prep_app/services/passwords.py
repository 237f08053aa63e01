"""Staff passwords: the rules a new one must meet, argon2id hashing, and readable temporary
passwords.

Passwords are hashed with argon2id. They are 12 to 128 characters, never truncated, and a short
list of common ones is refused.
"""

from __future__ import annotations

import secrets
import unicodedata
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128  # ASVS 2.1.2: 64 and more accepted, more than 128 refused

# Common passwords of 12 characters or more (from public breach lists), and words this clinic's
# staff would reach for first. Compared without case, spaces or punctuation.
MIN_STRENGTH = 3  # zxcvbn's score: "safely unguessable" from 3
# zxcvbn's time grows fast with length (about a second for 72 random characters): it judges the
# first 32, long enough for any strong password to show it.
STRENGTH_CHARS = 32

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
            or _is_sequence(compact) or _strength(password, email, name) < MIN_STRENGTH):
        return "That password is too easy to guess. Choose a longer or less common one."
    return None


def _strength(password: str, email: str, name: str) -> int:
    """zxcvbn's score (0 to 4) of the password's first ``STRENGTH_CHARS`` characters, with the
    person's own email and name as words a guesser would try first."""
    hints = [part for part in (email, email.split("@")[0], *name.split()) if part]
    return zxcvbn(password[:STRENGTH_CHARS], user_inputs=hints)["score"]


def _is_sequence(plain: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in zip(plain, plain[1:], strict=False)}
    return len(steps) == 1 and steps <= {1, -1}


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


def dummy_hash() -> str:
    """A hash of nothing anyone knows: checked when there is no account, so that an unknown
    email takes as long as a known one."""
    return _dummy_hash(current_app.config.get("PASSWORD_HASH_COST", "normal"))

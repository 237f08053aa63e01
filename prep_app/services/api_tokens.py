"""API tokens for the read-only FHIR API: one per integration, made and revoked by a clinic admin.

A token is 256 random bits, shown once when it is made; only its SHA-256 hash is stored (as
for patient links). Every use, and every try with a revoked token, writes an audit row whose
actor is the token. Nothing here knows about Flask: the actor and the time are passed in.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken, User
from . import audit, text
from .errors import InputError
from .links import MAX_TOKEN_LENGTH, TOKEN_BYTES, hash_token

PREFIX = "prep_"  # so a token found in a file or a log is recognisable as ours
NAME_LIMIT = 80


def all_tokens() -> list[ApiToken]:
    """Live tokens first, newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(
        ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def create(name: str, *, actor: User, now: datetime) -> tuple[ApiToken, str]:
    """A new token for the integration called ``name``; returns it and the token itself (to
    show once)."""
    name = " ".join(text.clean(name).split())
    if not name:
        raise InputError("Name the integration, for example 'Epic interface engine'.",
                         field="name")
    if len(name) > NAME_LIMIT:
        raise InputError(f"Use at most {NAME_LIMIT} characters.", field="name")
    secret = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(name=name, token_hash=hash_token(secret), created_at=now,
                     created_by_id=actor.id)
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.create", record_type="api_token", record_id=token.id, actor=actor)
    return token, secret


def revoke(token: ApiToken, *, actor: User, now: datetime) -> bool:
    """Stop the token working from now on; False if it was revoked already."""
    if token.is_revoked:
        return False
    token.revoked_at, token.revoked_by_id = now, actor.id
    audit.record("api_token.revoke", record_type="api_token", record_id=token.id, actor=actor)
    return True


def authenticate(secret: str | None, *, now: datetime) -> ApiToken | None:
    """The live token ``secret`` is, or None. A revoked token's try is audited."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH or not secret.startswith(PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).filter_by(token_hash=hash_token(secret)))
    if token is None:
        return None
    if token.is_revoked:
        audit.record("api_token.refused", record_type="api_token", record_id=token.id,
                     detail="revoked", actor=token)
        return None
    token.last_used_at = now
    return token

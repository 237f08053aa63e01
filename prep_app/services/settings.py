"""The clinic's settings row, read once per request."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context

from ..extensions import db
from ..models import ClinicSettings, utcnow


def get() -> ClinicSettings:
    if has_request_context() and "clinic_settings" in g:
        return g.clinic_settings
    settings = db.session.get(ClinicSettings, 1)
    if settings is None:
        settings = ClinicSettings(id=1)
        db.session.add(settings)
        db.session.flush()
    if has_request_context():
        g.clinic_settings = settings
    return settings


def zone() -> ZoneInfo:
    return ZoneInfo(get().timezone)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(zone())


def today() -> date:
    """Today in the clinic's time zone (not the server's)."""
    return to_local(utcnow()).date()

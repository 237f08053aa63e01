"""Clinic admin forms. The rules live in ``services/accounts.py`` and ``services/settings.py``;
these forms check the shape of what was typed (a number is a number) and show the service's
answers next to each field."""

from __future__ import annotations

from datetime import date
from functools import cache

from babel import Locale
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..models import Role
from ..services import imports, locations, settings
from ..services.text import clean

# A required <select> starts with an empty choice (valid HTML, and "required" can then fail).
ROLE_CHOICES = [SelectChoice("", "Choose a role"),
                *(SelectChoice(role.value, role.label) for role in Role)]
WHOLE_NUMBER = "Enter a whole number, like 6."
EARLIEST_AUDIT_DATE, LATEST_AUDIT_DATE = date(2000, 1, 1), date(2999, 12, 31)


def _clean(value):
    return clean(value) if isinstance(value, str) else value


class StaffAddForm(FlaskForm):
    name = StringField("Name", filters=[_clean],
                       validators=[DataRequired("Enter the person's name."), Length(max=120)])
    email = EmailField("Work email", filters=[_clean],
                       validators=[DataRequired("Enter their work email."), Length(max=254)],
                       description="They sign in with it.",
                       render_kw={"autocomplete": "off", "autocapitalize": "none",
                                  "spellcheck": "false"})
    role = SelectField("Role", choices=ROLE_CHOICES,
                       validators=[InputRequired("Choose a role.")])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose a role.")])


@cache
def country_choices() -> list[SelectChoice]:
    names = Locale("en").territories
    return sorted((SelectChoice(code, f"{names.get(code, code)} ({code})")
                   for code in settings.phone_regions()), key=lambda choice: choice.label)


class WholeNumberField(IntegerField):
    """A whole number, with a plain message when what was typed is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(WHOLE_NUMBER) from None


def _number(label: str, key: str, hint: str, table=settings.SETTING_BOUNDS) -> WholeNumberField:
    bounds = table[key]
    return WholeNumberField(label, validators=[InputRequired(WHOLE_NUMBER)],
                        description=f"{hint} From {bounds.low} to {bounds.high}.",
                        render_kw={"inputmode": "numeric", "min": bounds.low,
                                   "max": bounds.high})


class VersionedForm(FlaskForm):
    """A form that saves a row only if nobody else saved it since the form was opened."""

    version = HiddenField()

    def expected_version(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return -1  # missing or tampered: simply stale


class SettingsForm(VersionedForm):
    name = StringField("Clinic name", filters=[_clean],
                       validators=[DataRequired("Enter the clinic's name."), Length(max=120)])
    country = SelectField("Country for phone numbers",
                          description="Phone numbers typed without a country code are read as "
                                      "numbers in this country.")
    arrive_early_minutes = _number("Arrive early by (minutes)", "arrive_early_minutes", "")
    link_grace_hours = _number("Patient links keep working after the session for (hours)",
                               "link_grace_hours", "")
    is_dob_check_on = BooleanField(
        "Ask patients for their date of birth before they see their checklist",
        description="Recommended: a forwarded link then shows nothing to someone else.")
    is_morning_check_on = BooleanField(
        "Send a morning-of check on the session's day",
        description="A text and an email ask three questions (still fasting, driver still "
                    "coming, feeling unwell); a worry shows on the board.")
    morning_check_hour = _number("Send the morning-of check at (hour of the day)",
                                 "morning_check_hour", "On the clinic's clock.")
    idle_timeout_minutes = _number("Sign staff out after this many minutes without activity",
                                   "idle_timeout_minutes",
                                   "A warning shows a minute before.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def values(self) -> dict:
        return {key: getattr(self, key).data for key in settings.SETTING_FIELDS}


def zone_choices(current_zone: str = "") -> list[SelectChoice]:
    """Every time zone by place; one saved before it left the list stays choosable."""
    zones = settings.time_zones()
    if current_zone and current_zone not in zones:
        zones = (current_zone, *zones)
    return [SelectChoice(zone, zone.replace("_", " ")) for zone in zones]


class LocationForm(VersionedForm):
    name = StringField("Name", filters=[_clean],
                       validators=[DataRequired("Enter the location's name."), Length(max=120)],
                       description="Patients and staff see it, for example \"Cedar City\".")
    address = TextAreaField("Address", filters=[_clean], validators=[Length(max=300)],
                            description="Patients see it on their timeline and printed slip.",
                            render_kw={"rows": 3})
    phone = TelField("Phone", filters=[_clean],
                     validators=[DataRequired("Enter the location's phone number."),
                                 Length(max=40)],
                     description="Its patients' \"Call us\" number.")
    timezone = SelectField("Time zone", description="Its appointments' times use it.")
    solid_fast_hours = _number("No solid food for (hours before the session)",
                               "solid_fast_hours", "", locations.LOCATION_BOUNDS)
    clear_fast_hours = _number("Clear liquids allowed until (hours before the session)",
                               "clear_fast_hours", "No more than the hours for solid food.",
                               locations.LOCATION_BOUNDS)

    def __init__(self, *args, current_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices(current_zone)

    def values(self) -> dict:
        return {key: getattr(self, key).data for key in locations.LOCATION_FIELDS}


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the address (ids and dates only: no names)."""

    class Meta:
        csrf = False

    person = SelectField("Staff member", validate_choice=False, validators=[Optional()])
    patient = StringField("Patient number", filters=[_clean],
                          validators=[Optional(), Length(max=12)],
                          description="For example 12. Find the number by name below.")
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_person(self, field):
        if field.data and _record_id(field.data) is None:
            raise ValidationError("Choose a member of staff from the list.")

    def validate_patient(self, field):
        if field.data and _record_id(field.data.lstrip("#")) is None:
            raise ValidationError("Use the patient's number, like 12.")

    def validate_date_from(self, field):
        _check_audit_date(field.data)

    def validate_date_to(self, field):
        _check_audit_date(field.data)
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")

    def person_id(self) -> int | None:
        return _record_id(self.person.data)

    def patient_id(self) -> int | None:
        return _record_id((self.patient.data or "").lstrip("#"))


def _record_id(value: str | None) -> int | None:
    """A database id typed by a person: decimal digits, in the range of an id column."""
    if not value or not value.isascii() or not value.isdecimal():
        return None
    number = int(value)
    return number if 0 < number < 2**31 else None


def _check_audit_date(day: date | None) -> None:
    if day is not None and not EARLIEST_AUDIT_DATE <= day <= LATEST_AUDIT_DATE:
        raise ValidationError("Use a date between the years 2000 and 2999.")


class PatientSearchForm(FlaskForm):
    """Finding a patient by name is a POST, so the name never goes into an address."""

    name = StringField("Find a patient by name", filters=[_clean],
                       validators=[DataRequired("Type part of the patient's name."),
                                   Length(min=2, max=120)])


class ApiTokenForm(FlaskForm):
    name = StringField("Which integration is it for?", filters=[_clean],
                       validators=[DataRequired("Name the integration, for example 'Epic "
                                                "interface engine'."),
                                   Length(max=80)],
                       description="For example 'Epic interface engine'. Make one token per "
                                   "system, so each can be revoked alone.")


INSTEAD = {imports.NAME_COLUMN: "for the full name in one column, instead of first and last "
                               "name",
           **dict.fromkeys(imports.SPLIT_START, "when the date and the time are in two "
                                                "columns, instead of starts at")}


def _their_header(column: str) -> StringField:
    ours = imports.LABELS.get(column, column.replace("_", " "))
    instead = f"Only {INSTEAD[column]}. " if column in INSTEAD else ""
    return StringField(f"Their header for {ours}", filters=[_clean],
                       validators=[Length(max=imports.HEADER_LIMIT)],
                       description=f"{instead}Leave empty if their file calls it {column}.",
                       render_kw={"autocomplete": "off", "spellcheck": "false"})


class ImportMappingForm(FlaskForm):
    """How one practice-management system names the schedule's columns and writes dates."""

    name = StringField("Name", filters=[_clean],
                       validators=[DataRequired("Give the mapping a name, such as the system's."),
                                   Length(max=imports.MAPPING_NAME_LIMIT)],
                       description="The front desk chooses it by this name, e.g. SimplePractice.")
    date_order = RadioField("Dates such as 03/04/2026 mean", default="mdy", choices=[
        SelectChoice("mdy", "month first: March 4 (MM/DD/YYYY, as in the US)"),
        SelectChoice("dmy", "day first: 3 April (DD/MM/YYYY)")],
        validators=[InputRequired("Choose how the dates are written.")])

    def columns(self) -> dict[str, str]:
        return {column: self[imports.header_field(column)].data or ""
                for column in imports.KNOWN}

    def header_fields(self):
        return [self[imports.header_field(column)] for column in imports.KNOWN]


for _column in imports.KNOWN:
    setattr(ImportMappingForm, imports.header_field(_column), _their_header(_column))

"""Patient forms. A section's form is built at run time from the checklist's items, so adding an
item to the checklist needs no code change."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..models import ChecklistItem, ItemKind
from ..services import drivers
from ..services.appointments import AppointmentError, normalise_phone
from ..services.text import clean
from ..templating import pretty_phone

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]
LIMITS = {ItemKind.SHORT_TEXT: 120, ItemKind.LONG_TEXT: 2000, ItemKind.PHONE: 40}


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


def strip_text(value):
    return clean(value) if isinstance(value, str) else value


class DateOfBirthForm(FlaskForm):
    date_of_birth = DateField(
        _l("Your date of birth"), validators=[InputRequired(_l("Enter your date of birth."))],
        description=_l("We ask this to make sure this checklist is yours."),
        render_kw={"autocomplete": "bday"})


class MorningCheckForm(FlaskForm):
    """The morning-of check (services/morning_check.py): three yes/no questions."""

    fasting = RadioField(_l("Are you still fasting as planned?"), choices=_choices(YES_NO),
                         validators=[InputRequired(_l("Please answer this question."))],
                         description=_l("As in your timeline: no solid food, and only clear "
                                        "liquids, before your session."))
    driver = RadioField(_l("Is your driver still coming?"), choices=_choices(YES_NO),
                        validators=[InputRequired(_l("Please answer this question."))])
    unwell = RadioField(_l("Are you feeling unwell?"), choices=_choices(YES_NO),
                        validators=[InputRequired(_l("Please answer this question."))],
                        description=_l("For example a fever, a cold or flu, or feeling sick."))


class VersionedForm(FlaskForm):
    """Carries the version of the submission the page was built from (two tabs, one saves)."""

    version = HiddenField()

    def expected_version(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return -1  # a tampered or missing version is simply stale


class AttestForm(VersionedForm):
    attested_name = StringField(
        _l("Type your full name"),
        validators=[DataRequired(_l("Type your full name to confirm.")),
                    Length(min=2, max=120, message=_l(
                        "Please type your full name (up to 120 characters)."))],
        filters=[strip_text],
        description=_l("By typing your name you confirm these answers are true, to the best of "
                       "your knowledge."),
        render_kw={"autocomplete": "name"})
    submit_key = HiddenField()


# Asked on the page that asks for the driver's mobile number (see services/drivers.py).
MAY_TEXT_DRIVER = "may_text_driver"


def section_form_class(items: list[ChecklistItem], starts_at_local: datetime,
                       country: str) -> type[VersionedForm]:
    """A form class with one field per item of the section, named by the item's key."""
    attrs = {}
    for item in items:
        attrs[item.key] = _field_for(item, starts_at_local, country)
    if drivers.PHONE in attrs:
        attrs[MAY_TEXT_DRIVER] = RadioField(
            _l("May we text your driver?"), choices=_choices(YES_NO), validators=[Optional()],
            validate_choice=True,
            description=_l("We would send them a link to tell us if they can pick you up. "
                           "It shows them only your first name, the day, the pick-up time and "
                           "our address."))
    return type("SectionForm", (VersionedForm,), attrs)


def may_text_driver(form) -> bool | None:
    """The patient's yes or no to texting the driver, None when not answered (or not asked)."""
    field = form._fields.get(MAY_TEXT_DRIVER)
    if field is None or field.errors or field.data not in ("yes", "no"):
        return None
    return field.data == "yes"


def _field_for(item: ChecklistItem, starts_at_local: datetime, country: str):
    field = _bare_field(item, starts_at_local, country)
    if item.show_if:
        # patient.js hides a follow-up question until its answer applies (shown with JS off).
        field.kwargs["render_kw"] = {**(field.kwargs.get("render_kw") or {}),
                                     "data-show-if-item": item.show_if.get("item", ""),
                                     "data-show-if-value": item.show_if.get("value", "")}
    return field


def _bare_field(item: ChecklistItem, starts_at_local: datetime, country: str):
    label, help_text = item.label, item.help_text or ""
    kind = item.kind
    # Required answers are checked on "Save and continue" and at submit (see views); here only
    # the shape of an answer is validated, so "Save for later" can keep a half-filled page.
    optional = [Optional()]
    if kind == ItemKind.CONFIRM:
        return BooleanField(label, description=help_text)
    if kind in (ItemKind.YES_NO, ItemKind.CHOICE):
        choices = _choices(YES_NO if kind == ItemKind.YES_NO else item.options or [])
        return RadioField(label, choices=choices, description=help_text,
                          validators=[Optional()], validate_choice=True)
    if kind == ItemKind.PHONE:
        return TelField(label, description=help_text, filters=[strip_text],
                        validators=[*optional, Length(max=40), PhoneNumber(country)],
                        # Not "tel": that offers the patient's own number, and this is
                        # someone else's (the driver's).
                        render_kw={"autocomplete": "off", "inputmode": "tel"})
    if kind == ItemKind.TIME:
        return TimeField(label, description=help_text, validators=optional, format="%H:%M")
    if kind == ItemKind.DATETIME:
        return DateTimeLocalField(label, description=help_text, format="%Y-%m-%dT%H:%M",
                                  validators=[*optional, NearSession(starts_at_local)])
    limit = LIMITS.get(kind, 2000)
    field = TextAreaField if kind == ItemKind.LONG_TEXT else StringField
    return field(label, description=help_text, filters=[strip_text],
                 validators=[*optional, Length(max=limit, message=_l(
                     "Please keep this under %(max)d characters."))])


class PhoneNumber:
    """A mobile number that the ``phonenumbers`` library accepts for the clinic's country."""

    def __init__(self, country: str):
        self.country = country

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = normalise_phone(field.data, self.country)
        except AppointmentError:
            raise ValidationError(_l("Please check this number: it does not look like a phone "
                                     "number we can call.")) from None


class NearSession:
    """A time in the week before the session, not after it starts."""

    def __init__(self, starts_at_local: datetime):
        self.starts = starts_at_local.replace(tzinfo=None)

    def __call__(self, form, field):
        if field.data is None:
            return
        if field.data > self.starts:
            raise ValidationError(_l("Please give a time before your session starts."))
        if field.data < self.starts - timedelta(days=7):
            raise ValidationError(_l("Please give a time in the week before your session."))


def to_answer(item: ChecklistItem, data) -> str:
    """A field's data as the stored answer text."""
    if item.kind == ItemKind.CONFIRM:
        return "yes" if data else ""
    if data is None:
        return ""
    if item.kind == ItemKind.TIME:
        return data.strftime("%H:%M")
    if item.kind == ItemKind.DATETIME:
        return data.strftime("%Y-%m-%dT%H:%M")
    return str(data)


def from_answer(item: ChecklistItem, value: str):
    """A stored answer as the field's data (to show a saved page again)."""
    if not value:
        return None
    try:
        if item.kind == ItemKind.PHONE:
            return pretty_phone(value)  # stored in E.164, shown the way people write it
        if item.kind == ItemKind.CONFIRM:
            return value == "yes"
        if item.kind == ItemKind.TIME:
            return datetime.strptime(value, "%H:%M").time()
        if item.kind == ItemKind.DATETIME:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return value

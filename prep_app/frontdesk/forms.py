"""The front desk's forms. Each state change is a POST with a CSRF token.

Field names are unique across the forms of the appointment page, so every form there can share
the one CSRF token field and no two inputs share an id.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from .. import languages
from ..models import CancelReason
from ..services import locations
from ..services.appointments import AppointmentError, local_to_utc, normalise_phone
from ..services.text import clean


def strip_text(value):
    return clean(value) if isinstance(value, str) else value


class PlausibleDate:
    """Keep dates to a range the database and the clinic's calendar can hold."""

    def __init__(self, earliest: date, latest: date, message: str):
        self.earliest, self.latest, self.message = earliest, latest, message

    def __call__(self, form, field):
        if field.data is not None and not self.earliest <= field.data <= self.latest:
            raise ValidationError(self.message)


class Phone:
    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = normalise_phone(field.data)
        except AppointmentError as error:
            raise ValidationError(str(error)) from None


def phone_field(label: str) -> TelField:
    return TelField(label, filters=[strip_text], validators=[Optional(), Length(max=40), Phone()],
                    description="A mobile number is best. Leave empty if unknown.",
                    render_kw={"autocomplete": "off", "inputmode": "tel"})


def email_field(label: str) -> EmailField:
    return EmailField(label, filters=[strip_text], validators=[Optional(), Length(max=254)],
                      render_kw={"autocomplete": "off"})


def language_field() -> SelectField:
    """The patient's language: their pages, texts and emails come in it (they may change it)."""
    return SelectField("Language for the patient's pages, texts and emails", choices=[
        SelectChoice("", "Not known: as the patient's browser asks"),
        *(SelectChoice(code, name if code == "en" else f"Spanish ({name})")
          for code, name in languages.NAMES.items())], default="")


def session_day(label: str) -> DateField:
    return DateField(label, validators=[
        InputRequired("Enter the day of the session."),
        PlausibleDate(date(2000, 1, 1), date(2100, 12, 31), "That day does not look right.")])


def session_time(label: str) -> TimeField:
    return TimeField(label, format="%H:%M", validators=[InputRequired(
        "Enter the time of the session, for example 14:00.")],
        description="On the location's clock.")


def starts_at_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A day and time on ``zone``'s clock (the location's) as an aware UTC instant."""
    return local_to_utc(datetime.combine(day, at), zone)


def location_field() -> SelectField:
    return SelectField("Location", validators=[InputRequired("Choose where the session is.")],
                       description="Where the session is: its clock, fasting hours, address "
                                   "and phone are the patient's.")


def offer_locations(form) -> None:
    """The location select, only when the clinic has several (else there is nothing to pick,
    and the field is gone: ``form.location`` is None)."""
    places = locations.all_locations()
    if len(places) < 2:
        del form.location
        return
    form.location.choices = [SelectChoice("", "Choose a location"),
                             *(SelectChoice(str(p.id), p.name) for p in places)]


def chosen_location(form):
    """The location picked on ``form``; None when there was nothing to pick."""
    return locations.by_id(int(form.location.data)) if form.location else None


class AppointmentForm(FlaskForm):
    full_name = StringField("Patient's full name", filters=[strip_text], validators=[
        DataRequired("Enter the patient's full name."), Length(max=120)],
        render_kw={"autocomplete": "off"})
    date_of_birth = DateField("Date of birth", validators=[
        InputRequired("Enter the patient's date of birth."),
        PlausibleDate(date(1900, 1, 1), date(2100, 12, 31),
                      "That date of birth does not look right.")],
        description="With the name, this finds the patient if they have been here before.")
    phone = phone_field("Patient's phone")
    email = email_field("Patient's email (optional)")
    language = language_field()
    location = location_field()
    day = session_day("Day of the session")
    at = session_time("Time of the session")
    issue_link = BooleanField("Create the patient's link now", default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_locations(self)
    # Sent by the "Book anyway" button, shown only with the warnings (never as a tick box).
    book_anyway = BooleanField("Book anyway")


class ContactForm(FlaskForm):
    phone = phone_field("Patient's phone")
    email = email_field("Patient's email")
    language = language_field()


class RescheduleForm(FlaskForm):
    location = location_field()
    new_day = session_day("New day")
    new_time = session_time("New time")
    move_reason = StringField(
        "Why is it moving?", filters=[strip_text],
        validators=[DataRequired("Say why the appointment is moving."), Length(max=200)],
        description="Kept with the appointment for the team. To another day: a clinician's "
                    "clearance no longer applies and the patient is asked for their food and "
                    "drink times again.", render_kw={"autocomplete": "off"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_locations(self)


class CancelForm(FlaskForm):
    cancel_reason = RadioField(
        "Why is it cancelled?",
        choices=[SelectChoice(r.value, r.label.capitalize()) for r in CancelReason],
        validate_choice=True,
        validators=[InputRequired("Choose why the appointment is cancelled.")])
    confirm_cancel = BooleanField("Yes, cancel this appointment", validators=[
        DataRequired("Tick the box to confirm the cancellation.")],
        description="The patient's link stops working.")


class CheckInForm(FlaskForm):
    driver_confirmed = BooleanField(
        "I have confirmed the driver in person", validators=[
            DataRequired("Confirm the driver in person before checking the patient in.")],
        description="Someone the patient knows will drive them home after the session.")
    # Asked (and checked by the service) only when something is open: see check_in_concerns.
    clinician_knows = BooleanField(
        "A clinician knows about the items above",
        description="Tell the clinician on duty first. Your name is kept with the check-in.")


class DeskNoteForm(FlaskForm):
    desk_note = StringField(
        "Note for the desk", filters=[strip_text], validators=[Optional(), Length(
            max=200, message="Please keep the note under 200 characters.")],
        description="Shown on the board with your name and the time, for example "
                    "\u201cdriver cancelled, called 09:10\u201d. Leave empty to clear it.",
        render_kw={"autocomplete": "off"})


class ActionForm(FlaskForm):
    """A button and its CSRF token: issue or revoke a link."""


class LeftForm(FlaskForm):
    """Closing the day: who the patient left with, and when."""

    left_with = StringField(
        "Left with", filters=[strip_text], validators=[
            DataRequired("Say who the patient left with."), Length(max=120)],
        description="The driver the patient named, or whoever came for them.",
        render_kw={"autocomplete": "off"})
    left_at_time = TimeField("At", format="%H:%M", validators=[InputRequired(
        "Enter the time the patient left, for example 15:10.")],
        description="On the clinic's clock, on the day of the session.")

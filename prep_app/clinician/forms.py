"""The clinician's decision form. It carries what the page showed (revision, answers hash) and
the decision's place in line, so the decision covers exactly what the clinician read."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from ..models import Decision
from ..services import reviews
from ..services.text import clean


def _clean(value):
    return clean(value) if isinstance(value, str) else value


def _int(value) -> int:
    try:
        return int(str(value).strip()[:12])
    except (TypeError, ValueError):
        return -1  # tampered or missing: simply does not match


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Decision", choices=[SelectChoice(d.value, d.label) for d in Decision],
        validate_choice=True, validators=[InputRequired("Choose a decision.")])
    note = TextAreaField(
        "Note for the team", filters=[_clean],
        validators=[Length(max=reviews.NOTE_LIMIT,
                           message=f"Please keep the note under {reviews.NOTE_LIMIT} characters.")],
        description="Needed for follow-up and for not cleared. Staff see it; the patient "
                    "does not.")
    message_to_patient = TextAreaField(
        "Message to the patient", filters=[_clean],
        validators=[Length(max=reviews.MESSAGE_LIMIT, message=(
            f"Please keep the message under {reviews.MESSAGE_LIMIT} characters."))],
        description="Needed when you return the checklist. The patient reads this on their "
                    "link: say plainly what to check.")
    revision = HiddenField()
    answers_hash = HiddenField()
    sequence = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.errors:
            return False
        if self.decision.data in {d.value for d in reviews.NEEDS_NOTE} and not self.note.data:
            self.note.errors = [*self.note.errors, "Add a note saying what needs to happen."]
            valid = False
        if self.decision.data == Decision.RETURNED.value and not self.message_to_patient.data:
            self.message_to_patient.errors = [
                *self.message_to_patient.errors,
                "Write a message telling the patient what to check."]
            valid = False
        return valid

    def saw(self) -> reviews.Seen:
        return reviews.Seen(_int(self.revision.data), str(self.answers_hash.data or "")[:64],
                            _int(self.sequence.data))

    def show(self, seen: reviews.Seen) -> None:
        """Point the hidden fields at what the page now shows (what a person typed stays)."""
        self.revision.data = str(seen.revision)
        self.answers_hash.data = seen.answers_hash
        self.sequence.data = str(seen.sequence)

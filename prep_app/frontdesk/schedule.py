"""The schedule import on the board (front desk and clinic admin): upload, preview, import.

Nothing is saved until the person has seen the preview and confirmed it. The preview carries
the file back in the confirming form (in the POST body, never in a URL), and the confirmation
checks it again from the start: what is imported is what was checked then.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField, SelectField

from ..auth.access import require_roles, signed_in
from ..database import end_read
from ..errors import on_input_error
from ..models import Role
from ..security import takes_upload
from ..services import imports, locations

bp = Blueprint("schedule", __name__, url_prefix="/board/import")
require_roles(bp, Role.FRONT_DESK, Role.ADMIN)

PREVIEW_ROWS = 300  # the rows shown in full; problems are listed whatever their number
# The file travels base64-encoded in the confirming form: a third more than the file itself.
UPLOAD_LIMIT = imports.MAX_BYTES * 4 // 3 + 64 * 1024


@bp.url_value_preprocessor
def _allow_a_schedule_file(endpoint, values):
    """A schedule is larger than any other form: allow it here only, and only to the staff who
    import (the limit is read when the body is, before any before_request runs)."""
    if current_user.is_authenticated and current_user.role in (Role.FRONT_DESK, Role.ADMIN):
        request.max_content_length = UPLOAD_LIMIT


def _mapping_choices() -> list[tuple[int, str]]:
    return [(0, "prep_app's own column names (the template)"),
            *((mapping.id, mapping.name) for mapping in imports.mappings())]


class UploadForm(FlaskForm):
    file = FileField("The schedule, as a CSV file", validators=[FileRequired(
        "Choose the CSV file to import.")], description="Exported from your practice-management "
                                                        "system, or the template filled in.")
    mapping = SelectField("Its column names", coerce=int, default=0)
    # Only when the clinic has several locations (else the field is gone: None).
    location = SelectField("Location of the rows that name none", coerce=int, default=0,
                           description="A location column in the file names each row's.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping.choices = _mapping_choices()
        places = locations.all_locations()
        if len(places) < 2:
            del self.location
            return
        self.location.choices = [(0, "None: each row names its location"),
                                 *((place.id, place.name) for place in places)]


class ConfirmForm(FlaskForm):
    schedule = HiddenField()  # the file, base64
    mapping = HiddenField()
    location = HiddenField()


def _number(raw) -> int:
    try:
        return int(raw or 0)
    except (TypeError, ValueError):
        return 0


SAME_AS = "same_as_"  # + the row number: a radio group, the patient's id or "" (a new one)


def _same_as() -> dict[int, int]:
    """The decisions on likely duplicates (the service checks each one is a choice it gave)."""
    chosen = {}
    for key, value in request.form.items():
        row, patient = key.removeprefix(SAME_AS), value
        if (key.startswith(SAME_AS) and row.isascii() and row.isdecimal() and len(row) < 7
                and patient.isascii() and patient.isdecimal() and len(patient) < 10):
            chosen[int(row)] = int(patient)
    return chosen


def _preview(plan: imports.Plan, data: bytes, mapping_id: int, location_id: int,
             code: int = 200):
    confirm = ConfirmForm(formdata=None, schedule=base64.b64encode(data).decode(),
                          mapping=str(mapping_id), location=str(location_id))
    problems = plan.problems_by_row()
    shown = [step for step in plan.steps if step.row.number in problems][:PREVIEW_ROWS]
    shown_numbers = {step.row.number for step in shown}
    shown += [step for step in plan.steps if step.row.number not in shown_numbers][
        :max(0, PREVIEW_ROWS - len(shown))]
    shown.sort(key=lambda step: step.row.number)
    upload = UploadForm(formdata=None, mapping=mapping_id, location=location_id)
    undecided: dict[int, list[imports.Duplicate]] = {}
    for duplicate in plan.duplicates:
        undecided.setdefault(duplicate.row.number, []).append(duplicate)
    return render_template("schedule/preview.html", plan=plan, steps=shown, problems=problems,
                           duplicates=undecided, same_as=SAME_AS,
                           hidden_rows=len(plan.steps) - len(shown), confirm=confirm,
                           form=upload), code


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A file past the limit: the upload page again, saying what the limit is."""
    form = UploadForm(formdata=None)
    form.file.errors = [imports.too_large_message()]
    return render_template("schedule/upload.html", form=form), 413


@bp.route("/", methods=["GET", "POST"])
@takes_upload("file")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("schedule/upload.html", form=form), 400 if form.errors else 200
    data = form.file.data.read(imports.MAX_BYTES + 1)
    location_id = form.location.data if form.location else 0
    plan = imports.check(data, imports.saved_mapping(form.mapping.data or None),
                         location=locations.by_id(location_id))
    end_read()  # a check only: no lock held while the preview is drawn
    return _preview(plan, data, form.mapping.data, location_id, 200 if plan.is_ok else 422)


@bp.post("/confirm")
def confirm():
    form = ConfirmForm()
    try:
        data = base64.b64decode(form.schedule.data or "", validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not form.validate_on_submit() or not data:
        flash("That import page was open too long or came from somewhere else. Please upload "
              "the file again.", "error")
        return redirect(url_for("schedule.upload"))
    mapping_id = _number(form.mapping.data)
    location_id = _number(form.location.data)  # a number, or 0 when tampered with
    plan = imports.check(data, imports.saved_mapping(mapping_id or None), _same_as(),
                         locations.by_id(location_id))
    if not plan.is_ok:
        end_read()
        return _preview(plan, data, mapping_id, location_id, 422)

    def changed_meanwhile(error):
        # Another import (or the desk) changed the same bookings at the same moment.
        flash("Someone else changed these bookings at the same moment; nothing was imported. "
              "Please upload the file again.", "error")
        return redirect(url_for("schedule.upload"))

    on_input_error(changed_meanwhile)
    imports.apply(plan, actor=signed_in())
    flash(f"Schedule imported: {plan.summary()}.", "success")
    return redirect(url_for("frontdesk.board"))


@bp.get("/template.csv")
def template():
    return Response(imports.template_csv(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=schedule-template.csv"})

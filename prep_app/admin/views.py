"""Clinic administration: staff accounts, the clinic's settings, its locations and the audit log.

Admins only, guarded once for the whole blueprint. Every change goes through a service
(``accounts``, ``settings``, ``locations``), which writes its audit row in the same transaction
as the change.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from ..auth.access import require_roles, signed_in
from ..errors import on_input_error, show_on_form
from ..extensions import db
from ..models import ApiToken, ImportMapping, Location, Patient, Role, User, utcnow
from ..services import (
    accounts,
    api_tokens,
    audit,
    exports,
    imports,
    locations,
    passwords,
    settings,
    sign_in,
)
from ..services.errors import Conflict, InputError
from . import auditlog, forms

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(bp, Role.ADMIN)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _with_error(form, error: InputError):
    """The form, with the service's answer next to the field it is about (or on its first)."""
    if not show_on_form(form, error):
        field = next(f for f in form if f.type not in ("CSRFTokenField", "HiddenField"))
        field.errors = [*field.errors, error.message]
    return form


@bp.get("/")
def index():
    return render_template("admin/index.html")


# Staff -------------------------------------------------------------------------------------


@bp.get("/staff")
def staff_list():
    return _staff_page(forms.StaffAddForm())


def _staff_page(form, status: int = 200):
    return render_template("admin/staff.html", people=accounts.staff_list(), form=form,
                           is_locked=sign_in.is_locked), status


@bp.post("/staff")
def staff_add():
    form = forms.StaffAddForm()
    if not form.validate_on_submit():
        return _staff_page(form, 422)
    password = passwords.generate_password()
    on_input_error(lambda error: _staff_page(_with_error(form, error), error.status))
    user = accounts.create(form.email.data, form.name.data, form.role.data, password,
                           actor=signed_in())
    # Shown once, on this page only: never in a flash message (the cookie) or an address.
    return render_template("admin/password_shown.html", person=user, password=password,
                           is_new=True)


@bp.get("/staff/<int:user_id>")
def staff_detail(user_id: int):
    person = _user_or_404(user_id)
    return _detail_page(person, forms.RoleForm(role=person.role.value))


def _detail_page(person: User, role_form, status: int = 200):
    return render_template("admin/staff_detail.html", person=person, role_form=role_form,
                           is_self=person.id == signed_in().id,
                           is_locked=sign_in.is_locked(person)), status


@bp.post("/staff/<int:user_id>/role")
def staff_role(user_id: int):
    person = _user_or_404(user_id)
    form = forms.RoleForm()
    if not form.validate_on_submit():
        return _detail_page(person, form, 422)
    on_input_error(lambda error: _detail_page(_user_or_404(user_id), _with_error(form, error),
                                              error.status))
    changed = accounts.change_role(person, form.role.data, actor=signed_in())
    flash(f"Role changed to {person.role.label}." if changed else "The role was already that.")
    return redirect(url_for("admin.staff_detail", user_id=person.id))


@bp.post("/staff/<int:user_id>/deactivate")
def staff_deactivate(user_id: int):
    return _account_change(user_id, accounts.deactivate,
                           "Account deactivated: every session of theirs has ended.",
                           "The account was already deactivated.")


@bp.post("/staff/<int:user_id>/reactivate")
def staff_reactivate(user_id: int):
    return _account_change(user_id, accounts.reactivate,
                           "Account reactivated. Give them a new password if they need one.",
                           "The account was already active.")


def _account_change(user_id: int, change, done: str, unchanged: str):
    person = _user_or_404(user_id)
    back = url_for("admin.staff_detail", user_id=person.id)

    def refused(error: InputError):
        flash(error.message, "error")
        return redirect(back)

    on_input_error(refused)
    changed = change(person, actor=signed_in())
    flash(done if changed else unchanged)
    return redirect(back)


@bp.post("/staff/<int:user_id>/password")
def staff_password(user_id: int):
    person = _user_or_404(user_id)
    if person.id == signed_in().id:
        flash("Change your own password under 'Your password'.", "error")
        return redirect(url_for("admin.staff_detail", user_id=person.id))
    password = passwords.generate_password()
    accounts.set_password(person, password, actor=signed_in(), action="staff.password_reset")
    return render_template("admin/password_shown.html", person=person, password=password,
                           is_new=False)


# Settings ----------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def clinic_settings():
    clinic = settings.get()
    if request.method == "GET":
        form = forms.SettingsForm(obj=clinic, version=clinic.version)
        return render_template("admin/settings.html", form=form)
    form = forms.SettingsForm()
    if not form.validate_on_submit():
        return render_template("admin/settings.html", form=form), 422

    def refused(error: InputError):
        if isinstance(error, Conflict):  # saved by someone else since the form was opened
            return _conflict(form)
        return render_template("admin/settings.html", form=_with_error(form, error)), error.status

    on_input_error(refused)
    changed = settings.update_settings(form.values(), form.expected_version(), actor=signed_in())
    flash("Settings saved." if changed else "Nothing had changed.")
    return redirect(url_for("admin.clinic_settings"))


def _conflict(form):
    """Keep what the person typed; show what is saved now; saving again overwrites it."""
    saved = settings.get()
    typed = form.values()
    differences = [(getattr(form, key).label.text, _shown(getattr(saved, key)),
                    _shown(typed[key])) for key in settings.SETTING_FIELDS
                   if str(getattr(saved, key)) != str(typed[key])]
    form.version.raw_data = None
    form.version.data = str(saved.version)
    return render_template("admin/settings.html", form=form, conflict=True,
                           differences=differences), 409


def _shown(value) -> str:
    if isinstance(value, bool):
        return "On" if value else "Off"
    return "" if value is None else str(value)


# Schedule import mappings -----------------------------------------------------------------


def _mappings_page(form, editing: ImportMapping | None = None, status: int = 200):
    return render_template("admin/import_mappings.html", form=form, saved=imports.mappings(),
                           editing=editing), status


def _mapping_or_404(mapping_id: int) -> ImportMapping:
    mapping = db.session.get(ImportMapping, mapping_id)
    if mapping is None:
        abort(404)
    return mapping


# One rule per address for both methods: a too-large id is then a 404, not a 405.
@bp.route("/import-mappings", methods=["GET", "POST"])
def import_mappings():
    if request.method == "GET":
        return _mappings_page(forms.ImportMappingForm())
    return _save_mapping(None)


@bp.route("/import-mappings/<int:mapping_id>", methods=["GET", "POST"])
def import_mapping(mapping_id: int):
    mapping = _mapping_or_404(mapping_id)
    if request.method == "POST":
        return _save_mapping(mapping)
    form = forms.ImportMappingForm(name=mapping.name, date_order=mapping.date_order, **{
        imports.header_field(ours): theirs for ours, theirs in (mapping.columns or {}).items()})
    return _mappings_page(form, mapping)


def _save_mapping(mapping: ImportMapping | None):
    mapping_id = mapping.id if mapping is not None else None
    form = forms.ImportMappingForm()
    if not form.validate_on_submit():
        return _mappings_page(form, mapping, 422)
    on_input_error(lambda error: _mappings_page(
        _with_error(form, error), mapping_id and _mapping_or_404(mapping_id), error.status))
    saved = imports.save_mapping(mapping, form.name.data, form.columns(), form.date_order.data,
                                 actor=signed_in())
    flash(f"Mapping {saved.name} saved: the front desk can choose it when they import.")
    return redirect(url_for("admin.import_mappings"))


@bp.post("/import-mappings/<int:mapping_id>/delete")
def import_mapping_delete(mapping_id: int):
    mapping = _mapping_or_404(mapping_id)
    imports.delete_mapping(mapping, actor=signed_in())
    flash(f"Mapping {mapping.name} deleted.")
    return redirect(url_for("admin.import_mappings"))


# API tokens for the FHIR API --------------------------------------------------------------


def _tokens_page(form, status: int = 200):
    return render_template("admin/api_tokens.html", form=form, tokens=api_tokens.all_tokens(),
                           fhir_base=exports.fhir_base()), status


@bp.route("/api-tokens", methods=["GET", "POST"])
def tokens():
    form = forms.ApiTokenForm()
    if request.method == "GET":
        return _tokens_page(form)
    if not form.validate_on_submit():
        return _tokens_page(form, 422)
    on_input_error(lambda error: _tokens_page(_with_error(form, error), error.status))
    token, secret = api_tokens.create(form.name.data, actor=signed_in(), now=utcnow())
    # Shown once, on this page only: never in a flash message (the cookie) or an address.
    return render_template("admin/api_token_shown.html", token=token, secret=secret)


@bp.post("/api-tokens/<int:token_id>/revoke")
def token_revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    changed = api_tokens.revoke(token, actor=signed_in(), now=utcnow())
    flash(f"Token {token.name} revoked: it no longer works." if changed
          else "That token was revoked already.")
    return redirect(url_for("admin.tokens"))
# Locations ---------------------------------------------------------------------------------


@bp.get("/locations")
def locations_list():
    return _locations_page(forms.LocationForm(formdata=None, timezone=settings.zone().key))


def _locations_page(form, status: int = 200):
    return render_template("admin/locations.html", places=locations.all_locations(),
                           form=form), status


@bp.post("/locations")
def location_add():
    form = forms.LocationForm()
    if not form.validate_on_submit():
        return _locations_page(form, 422)
    on_input_error(lambda error: _locations_page(_with_error(form, error), error.status))
    place = locations.create(form.values(), actor=signed_in())
    flash(f"Location {place.name} added.")
    return redirect(url_for("admin.locations_list"))


def _location_or_404(location_id: int) -> Location:
    place = locations.by_id(location_id)
    if place is None:
        abort(404)
    return place


@bp.route("/locations/<int:location_id>", methods=["GET", "POST"])
def location_edit(location_id: int):
    place = _location_or_404(location_id)
    if request.method == "GET":
        form = forms.LocationForm(obj=place, version=place.version,
                                  current_zone=place.timezone)
        return render_template("admin/location.html", place=place, form=form)
    form = forms.LocationForm(current_zone=place.timezone)
    if not form.validate_on_submit():
        return render_template("admin/location.html", place=place, form=form), 422

    def refused(error: InputError):
        conflict = isinstance(error, Conflict)
        if conflict:  # saved by someone else: theirs is shown, what was typed is kept
            form.version.raw_data = None
            form.version.data = str(_location_or_404(location_id).version)
        return render_template("admin/location.html", place=_location_or_404(location_id),
                               form=form if conflict else _with_error(form, error),
                               conflict=conflict), error.status

    on_input_error(refused)
    changed = locations.update(place, form.values(), form.expected_version(), actor=signed_in())
    flash(f"Location {place.name} saved." if changed else "Nothing had changed.")
    return redirect(url_for("admin.locations_list"))


# Audit log ---------------------------------------------------------------------------------


def _audit_filter() -> tuple[forms.AuditFilterForm, auditlog.AuditFilter | None]:
    form = forms.AuditFilterForm(formdata=request.args)
    form.person.choices = [forms.SelectChoice("", "Anyone")] + [
        forms.SelectChoice(str(i), name) for i, name in auditlog.staff_names()]
    if not form.validate():
        return form, None
    return form, auditlog.AuditFilter(form.person_id(), form.patient_id(), form.date_from.data,
                                      form.date_to.data)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdecimal() and 0 < int(raw) <= 100_000 else 1


@bp.route("/audit", methods=["GET", "POST"])
def audit_log():
    form, chosen = _audit_filter()
    search = forms.PatientSearchForm()
    found = None
    if request.method == "POST" and search.validate_on_submit():
        found = auditlog.find_patients(search.name.data)
    number = _page_number()
    rows, has_more = auditlog.page(chosen, number) if chosen else ([], False)
    patient = None
    if chosen and chosen.patient_id is not None:
        patient = db.session.get(Patient, chosen.patient_id)
    status = 422 if (request.method == "POST" and search.errors) or chosen is None else 200
    return render_template("admin/audit.html", form=form, search=search, found=found,
                           rows=rows, chosen=chosen, page=number, has_more=has_more,
                           patient=patient), status


@bp.post("/audit/export")
def audit_export():
    form, chosen = _audit_filter()
    if chosen is None:
        return redirect(url_for("admin.audit_log"))
    rows = auditlog.count(chosen)
    event = audit.record("audit.export", record_type="audit_log",
                 patient_id=chosen.patient_id,
                 detail=f"CSV, {rows} rows; filters: {chosen.describe()}", actor=signed_in())
    db.session.flush()  # for its id; it is on the record (committed) before the response streams
    name = f"audit-log-{settings.today().isoformat()}.csv"
    lines = auditlog.csv_lines(chosen, before=event.id)
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

"""Every patient form, fed anything at all: long text, any unicode, NUL characters, wrong types
for choices, times and dates, a missing or wrong CSRF token, tampered hidden fields.

Whatever comes in, the app answers without a 500, and nothing with a NUL reaches the database
(PostgreSQL refuses NUL in text; none belongs in an answer anyway). The app and its database
are made once per test and shared by its examples, like one patient who keeps typing; each
example uses a browser (test client) of its own.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from sqlalchemy import select

from prep_app import default_checklist
from prep_app.extensions import db
from prep_app.models import Appointment, PatientLink

from .patient_forms import DOB, SECTIONS, appointment_day, calm_answers, patient_browser, walk

FUZZ = fuzz_settings(
    max_examples=40, deadline=None, database=None,
    # The app (and its database) is made once per test, on purpose: see the module's docstring.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)  # no lone
# surrogates: a browser cannot send them (they are not valid UTF-8)
NASTY = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\x00" * 3, "Ada\x00 Lovelace", "x" * 5000, "\U0001F600" * 60,
    "\u202eevil", "\r\n\t", "<script>alert(1)</script>", "'; DROP TABLE answers; --",
    "9" * 400, "-1", "0", "1e309", "NaN", "None", "true", "on", "yes\x00", "returns\x00",
    "2026-02-30T25:61", "24:00", "23:59:60", "0000-00-00", "0001-01-01T00:00",
    "9999-12-31T23:59", "99999-01-01", "١٢:٣٠", "１２:３０", "+1 (435) 555-0142\x00",
    "+999999999999999999999", "tel:+14355550142", "%00", "\\x00",
])
VALUE = st.one_of(ANY_TEXT, NASTY, ANY_TEXT.map(lambda text: text + "\x00" + text))
# A field may be missing, sent once, or sent several times (a wrong type for a single field).
FIELD = st.one_of(st.none(), VALUE, st.lists(VALUE, min_size=2, max_size=3))
TAMPERED = st.one_of(st.none(), VALUE, st.integers().map(str))  # missing or anything
# Mostly what the page gave (so most examples reach the saving), sometimes missing or wrong.
HIDDEN = st.sampled_from(["keep"] * 4 + ["tamper"])


def plausible(item: dict) -> st.SearchStrategy:
    """Answers a real browser could send for this item (so examples also reach the saving)."""
    kind = item["kind"]
    if kind == "confirm":
        return st.sampled_from(["y", "on", ""])
    if kind == "yes_no":
        return st.sampled_from(["yes", "no"])
    if kind == "choice":
        return st.sampled_from([value for value, _ in item["options"]])
    if kind == "time":
        return st.sampled_from(["07:30", "17:45", "00:00"])
    if kind == "datetime":
        return st.sampled_from(["{day}T07:30", "{day}T13:59"])
    if kind == "phone":
        return st.sampled_from(["(435) 555-0142", "435.555.0199", "+14355550100"])
    return VALUE


def form_data(draw, hidden: dict, fields: dict[str, st.SearchStrategy], day: str) -> dict:
    data = {}
    for name, strategy in fields.items():
        value = draw(strategy if draw(st.sampled_from(["plausible"] * 2 + ["any"])) ==
                     "plausible" else FIELD)
        if value is not None:
            data[name] = [v.replace("{day}", day) for v in value] if isinstance(
                value, list) else value.replace("{day}", day)
    for name in ("csrf_token", "version", "submit_key"):
        value = hidden.get(name) if draw(HIDDEN) == "keep" else draw(TAMPERED)
        if value is not None:
            data[name] = value
    return data


def assert_no_nul_stored(app) -> None:
    """Every text the database holds, in every table, JSON included, is free of NUL."""
    def walk(value):
        if isinstance(value, str):
            assert "\x00" not in value, value[:80]
        elif isinstance(value, dict):
            for key, inner in value.items():
                walk(key)
                walk(inner)
        elif isinstance(value, list | tuple):
            for inner in value:
                walk(inner)

    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                walk(tuple(row))


def unpause(app, appointment_id: int) -> None:
    with app.app_context():
        for link in db.session.scalars(select(PatientLink).filter_by(
                appointment_id=appointment_id)):
            link.failed_dob_attempts, link.dob_locked_until = 0, None
        db.session.commit()


def test_fuzz_date_of_birth_form(app, book):
    appointment_id, token = book()

    @FUZZ
    @given(data=st.data())
    def check(data):
        unpause(app, appointment_id)
        client = app.test_client()
        client.get(f"/p/{token}")
        hidden = client.hidden("/checklist/verify")
        fields = {"date_of_birth": st.sampled_from([DOB, "1990-01-30", "1990-1-31", ""])}
        response = client.post("/checklist/verify", data=form_data(data.draw, hidden, fields,
                                                                   "1990-01-31"))
        assert response.status_code in (200, 302, 400, 422, 429), response.status_code

    check()
    assert_no_nul_stored(app)


ITEMS_BY_SECTION = {section: [item for item in default_checklist.ITEMS
                              if item["section"] == section] for section in SECTIONS}


def test_fuzz_every_section_form(app, book):
    appointment_id, token = book()
    day = appointment_day(app, appointment_id).isoformat()

    @FUZZ
    @given(data=st.data(), section=st.sampled_from(SECTIONS))
    def check(data, section):
        client = patient_browser(app, token)
        back = data.draw(st.sampled_from(["", "?back=review", "?back=" + quote("\x00x")]))
        url = f"/checklist/step/{section}{back}"
        hidden = client.hidden(url)
        fields = {item["key"]: plausible(item) for item in ITEMS_BY_SECTION[section]}
        fields["action"] = st.sampled_from(["continue", "later"])
        response = client.post(url, data=form_data(data.draw, hidden, fields, day))
        assert response.status_code in (302, 400, 409, 422), response.status_code
        assert client.get(url).status_code == 200  # the page still shows what is stored
        assert_no_nul_stored(app)

    check()


def test_fuzz_review_and_submit_form(app, book):
    appointment_id, token = book()
    day = appointment_day(app, appointment_id).isoformat()
    client = patient_browser(app, token)

    client.appointment_id = appointment_id
    answers = calm_answers(client)
    answers["dayof"]["last_solid_food"] = f"{day}T07:30"
    walk(client, answers)

    @FUZZ
    @given(data=st.data())
    def check(data):
        browser = patient_browser(app, token)
        hidden = browser.hidden("/checklist/review")
        fields = {"attested_name": st.sampled_from(["Ada Lovelace", "Ada\x00Lovelace", "  "])}
        response = browser.post("/checklist/review", data=form_data(data.draw, hidden, fields,
                                                                    day))
        assert response.status_code in (302, 400, 409, 422), response.status_code
        if data.draw(st.booleans()):  # sometimes change an answer, so the next submit counts
            browser.submit("/checklist/step/questions?back=review",
                           {"questions": data.draw(ANY_TEXT), "action": "continue"})
        assert browser.get("/checklist/review").status_code == 200
        assert_no_nul_stored(app)

    check()


def test_fuzz_links_and_addresses(app, book):
    book()

    @FUZZ
    @given(token=VALUE, section=VALUE)
    def check(token, section):
        client = app.test_client()
        assert client.get("/p/" + quote(token, safe="")).status_code in (302, 404, 308)
        assert client.get("/checklist/step/" + quote(section, safe="")).status_code in (
            404, 308)

    check()


NUL_ANSWERS = {"confirm": "y\x00", "yes_no": "yes\x00", "choice": "returns\x00",
               "time": "17:45\x00", "datetime": "{day}T07:30\x00",
               "phone": "(435) 555-0142\x00", "short_text": "Ada\x00 Byron",
               "long_text": "\x00Headphones\x00\x00"}


def test_nul_characters_sent_in_every_field_are_never_stored(app, book):
    """The same, without chance: a NUL in every field of every form at once."""
    appointment_id, token = book()
    day = appointment_day(app, appointment_id).isoformat()
    client = patient_browser(app, token)
    for section in SECTIONS:
        data = {item["key"]: NUL_ANSWERS[item["kind"]].replace("{day}", day)
                for item in ITEMS_BY_SECTION[section]}
        response = client.submit(f"/checklist/step/{section}", {**data, "action": "later"})
        assert response.status_code in (302, 422)

    client.appointment_id = appointment_id
    answers = calm_answers(client)
    answers["questions"]["questions"] = "Is\x00 this fine?"
    walk(client, answers)
    response = client.submit("/checklist/review", {"attested_name": "Ada\x00 Lovelace",
                                                   "submit_key": "k\x00" * 12})
    assert response.status_code == 302
    assert_no_nul_stored(app)
    with app.app_context():
        stored = db.session.get(Appointment, appointment_id).submission
        assert stored.attested_name == "Ada Lovelace"
        assert {a.item.key: a.value for a in stored.answers}["questions"] == "Is this fine?"

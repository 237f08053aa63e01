"""Every response is hardened: pages, redirects, every kind of error page, static files.

And an error page shows a reference that matches a log line, never a traceback.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

SECRET_TEXT = "Ada Lovelace 1990-01-31 +14355550101"  # what a crash message could carry


def csp_directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def assert_hardened(response, *, phi: bool = True) -> None:
    """The headers every response carries (``phi``: a page that may show patient data)."""
    csp = csp_directives(response)
    assert csp, "no Content-Security-Policy"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert csp["default-src"] == "default-src 'self'"
    assert csp["object-src"] == "object-src 'none'"
    assert csp["base-uri"] == "base-uri 'none'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    cache = response.headers.get("Cache-Control", "")
    if phi:
        assert "no-store" in cache
    else:
        assert "no-store" not in cache
    assert "Strict-Transport-Security" not in response.headers  # plain http here
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-Id"])


@pytest.fixture
def app(make_app):
    """The app, plus two routes that fail the way real code can."""
    app = make_app()

    def crash():
        raise RuntimeError(SECRET_TEXT)

    def database_gone():
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("server closed"))

    app.add_url_rule("/test/crash", "test_crash", crash)
    app.add_url_rule("/test/database-gone", "test_database_gone", database_gone)
    return app


@pytest.fixture
def quiet_crashes(caplog):
    caplog.set_level(logging.INFO, logger="prep_app")
    return caplog


def test_a_page_is_hardened(client):
    response = client.get("/")
    assert response.status_code == 200
    assert_hardened(response)


def test_a_patient_page_is_never_stored(patient):
    response = patient.get("/checklist/")
    assert response.status_code == 200 and "Getting ready" in response.text
    assert_hardened(response)


def test_a_redirect_is_hardened(client):
    response = client.get("/board/")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    assert_hardened(response)


def test_a_static_file_is_hardened_and_may_be_cached(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert_hardened(response, phi=False)
    response.close()


def test_a_missing_static_file_is_an_error_page(client):
    response = client.get("/static/nothing-here.css")
    assert response.status_code == 404
    assert_hardened(response)


ERRORS = {
    404: lambda c: c.get("/no-such-page"),
    400: lambda c: c.post("/staff/sign-out", data={}),  # no CSRF token
    405: lambda c: c.get("/staff/sign-out"),
    413: lambda c: c.post("/staff/sign-out", data={"x": "a" * 300_000}),
    500: lambda c: c.get("/test/crash"),
    503: lambda c: c.get("/test/database-gone"),
}


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_error_pages_are_hardened_and_show_a_reference_that_is_logged(client, code,
                                                                    quiet_crashes):
    response = ERRORS[code](client)
    assert response.status_code == code
    assert_hardened(response)
    assert response.mimetype == "text/html"
    shown = re.search(r"Reference: ([0-9a-f]{16})", response.text)
    assert shown, response.text
    reference = shown.group(1)
    assert reference == response.headers["X-Request-Id"]
    logged = [r.getMessage() for r in quiet_crashes.records
              if f"ref={reference}" in r.getMessage()]
    expected = {500: "unhandled RuntimeError", 503: "database unavailable"}
    assert logged and logged[0].startswith(expected.get(code, f"http {code}"))


def test_forbidden_page_is_hardened_and_logged(login_as, quiet_crashes):
    client = login_as("front_desk")
    response = client.get("/admin/")
    assert response.status_code == 403
    assert_hardened(response)
    reference = response.headers["X-Request-Id"]
    assert f"Reference: {reference}" in response.text
    assert any(f"http 403 ref={reference}" in r.getMessage() for r in quiet_crashes.records)


def test_a_crash_page_shows_no_traceback_and_the_log_no_message(client, quiet_crashes):
    response = client.get("/test/crash")
    assert response.status_code == 500
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    assert SECRET_TEXT not in response.text and "Lovelace" not in response.text
    # The log says where (frames) but not what (the message may carry what a person typed).
    assert "test_headers.py" in quiet_crashes.text
    assert "Lovelace" not in quiet_crashes.text


def test_method_not_allowed_still_says_what_is_allowed(client):
    response = client.get("/staff/sign-out")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_database_trouble_asks_to_come_back_later(client):
    response = client.get("/test/database-gone")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "try again" in response.text.lower()


# --- HTTPS, proxies and hosts ---------------------------------------------------------------


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(secure.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000


def test_forwarded_proto_is_ignored_without_a_trusted_proxy(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_behind_a_trusted_proxy_forwarded_https_turns_hsts_on(make_app):
    client = make_app(PROXY_FIX_HOPS=1).test_client()
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = client.get("/", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers


@pytest.fixture
def trusting_app(make_app):
    return make_app(TRUSTED_HOSTS=["prep.clinic.example"], PROXY_FIX_HOPS=1)


def test_a_known_host_is_served(trusting_app):
    client = trusting_app.test_client()
    assert client.get("/", headers={"Host": "prep.clinic.example"}).status_code == 200
    assert client.get("/", base_url="https://prep.clinic.example:443").status_code == 200


@pytest.mark.parametrize("headers", [{"Host": "evil.example"},
                                     {"Host": "prep.clinic.example.evil.example"},
                                     {"Host": "prep.clinic.example",
                                      "X-Forwarded-Host": "evil.example"}])
def test_an_unknown_host_is_refused(trusting_app, headers, quiet_crashes):
    response = trusting_app.test_client().get("/", headers=headers)
    assert response.status_code == 400
    assert_hardened(response)
    reference = response.headers["X-Request-Id"]
    assert reference in response.text
    assert "evil" not in response.text
    assert any(f"http 400 ref={reference}" in r.getMessage() for r in quiet_crashes.records)


def test_an_unknown_host_cannot_reach_a_patient_link(trusting_app, book):
    _, token = book()
    client = trusting_app.test_client()
    assert client.get(f"/p/{token}", headers={"Host": "evil.example"}).status_code == 400
    assert client.get(f"/p/{token}", headers={"Host": "prep.clinic.example"}).status_code == 302


# --- compression and caching -------------------------------------------------------------


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+|/site\.css[^"]*)"', html)


def test_every_asset_a_page_links_carries_its_content_hash_and_is_kept_a_year(client, app):
    import hashlib

    urls = asset_urls(client.get("/").text)
    assert any(".css" in url for url in urls)
    for url in urls:
        path, _, query = url.partition("?")
        assert re.fullmatch(r"v=[0-9a-f]{12}", query), url
        response = client.get(url)
        body = response.get_data()
        if path.startswith("/static/"):
            assert body == (Path(app.static_folder) / path.removeprefix("/static/")).read_bytes()
        assert query == f"v={hashlib.sha256(body).hexdigest()[:12]}"  # a new file, a new URL
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert_hardened(response, phi=False)
        response.close()


def test_a_static_file_without_its_current_hash_is_checked_again_each_time(client):
    for url in ("/static/app.css", "/static/app.css?v=000000000000", "/site.css",
                "/site.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"  # an ETag revalidates it
        response.close()


def test_no_template_builds_a_static_url_by_hand(app):
    templates = Path(app.root_path) / "templates"
    by_hand = [p.name for p in templates.rglob("*.html") if "url_for('static'" in p.read_text()]
    assert by_hand == []  # static_url() adds the content hash


@pytest.mark.parametrize("accept, encoding, decode", [
    ("gzip, deflate, br", "br", "brotli"),
    ("gzip", "gzip", "gzip"),
])
def test_pages_and_assets_are_compressed_when_the_browser_asks(patient, accept, encoding,
                                                              decode):
    import gzip

    import brotli

    unpack = {"brotli": brotli.decompress, "gzip": gzip.decompress}[decode]
    page = patient.get("/checklist/", headers={"Accept-Encoding": accept})
    assert page.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in page.headers["Vary"]
    assert "Getting ready" in unpack(page.get_data()).decode()
    assert_hardened(page)  # still no-store
    plain = patient.get("/checklist/").text
    [css] = [u for u in asset_urls(plain) if ".css" in u]
    sheet = patient.get(css, headers={"Accept-Encoding": accept})
    assert sheet.headers["Content-Encoding"] == encoding
    raw = unpack(sheet.get_data())
    assert len(sheet.get_data()) < len(raw) / 3 and b"--pico" in raw
    assert sheet.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    sheet.close()


def test_a_browser_that_asks_for_no_compression_gets_none(client):
    response = client.get("/")
    assert "Content-Encoding" not in response.headers and "<html" in response.text


# --- favicon and manifest ------------------------------------------------------------------


def test_the_favicon_and_the_manifest_are_served_with_their_types(client, app):
    import json

    html = client.get("/").text
    links = dict(re.findall(r'<link rel="(icon|manifest)"[^>]*href="([^"]+)"', html))
    svg = client.get(links["icon"])
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.get_data()
    svg.close()
    ico = client.get("/favicon.ico")  # asked for by browsers whatever the page says
    assert ico.status_code == 200 and ico.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert ico.get_data()[:4] == b"\x00\x00\x01\x00"  # an icon file
    assert_hardened(ico, phi=False)
    ico.close()
    manifest = client.get(links["manifest"])
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    data = json.loads(manifest.get_data())
    assert data["name"] == "Cedar City Ketamine Clinic" and data["start_url"] == "/"
    assert {icon["type"] for icon in data["icons"]} >= {"image/svg+xml"}
    assert_hardened(manifest, phi=False)


def test_every_page_loads_one_stylesheet_pico_then_ours_and_no_blocking_script(patient, client):
    for html in (patient.get("/checklist/").text, client.get("/staff/sign-in").text):
        head = html.split("</head>", 1)[0]
        assert len(re.findall(r'<link rel="stylesheet"', html)) == 1
        assert "<script" not in head  # scripts sit at the end of the body
    [url] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    response = client.get(url)
    sheet = response.get_data(as_text=True)
    assert response.mimetype == "text/css"
    assert sheet.startswith("/*! Pico CSS v2.1.1") and "MIT" in sheet.split("*/", 1)[0]
    assert "\ufeff" not in sheet  # a byte-order mark inside the file breaks the rule after it
    assert ":root,:host{--pico-font-family-emoji" in sheet  # Pico's variables are there
    assert sheet.index("--pico-primary") < sheet.index(".skip-link")  # our rules come after
    assert "[data-tooltip]" not in sheet and "dialog>article" not in sheet  # unused parts left out
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304

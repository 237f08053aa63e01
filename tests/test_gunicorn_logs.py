"""The shipped ``gunicorn.conf.py`` (read from the folder gunicorn starts in) writes an access
log in which no patient token appears: ``/p/<token>`` becomes ``/p/<redacted>``."""

from __future__ import annotations

import runpy
import secrets

from bench.harness import ROOT, Gunicorn, HttpBrowser


def test_patient_tokens_never_reach_the_access_log(app, book, tmp_path):
    _, token = book()
    unknown = secrets.token_urlsafe(32)
    env = {"PREP_ENV": "testing", "SECRET_KEY": app.config["SECRET_KEY"],
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PASSWORD_HASH_COST": "test"}
    log = tmp_path / "gunicorn.log"
    with Gunicorn("wsgi:app", env=env, workers=1, log_path=log) as server:
        browser = HttpBrowser(server.url)
        opened = browser.get(f"/p/{token}")
        assert opened.status_code == 302
        assert browser.get(f"/p/{unknown}?from=sms").status_code == 404
        # The not-found page's stylesheet is fetched with that page as its Referer.
        css = browser.get("/static/app.css",
                          headers={"Referer": f"{server.url}/p/{unknown}"})
        assert css.status_code == 200
    text = log.read_text()
    assert token not in text and unknown not in text
    assert '"GET /p/<redacted> HTTP/1.1" 302' in text
    assert '"GET /p/<redacted>?from=sms HTTP/1.1" 404' in text
    assert f'"{server.url}/p/<redacted>"' in text  # the Referer, redacted too
    # Each line carries the request id, which an error page shows as its reference.
    assert f"req={opened.headers['X-Request-Id']}" in text


def test_gunicorns_own_error_lines_are_redacted_too(tmp_path):
    """gunicorn names the request in its error log when a request fails past the app."""
    from gunicorn.config import Config

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("errorlog", str(tmp_path / "error.log"))
    logger = conf["logger_class"](cfg)
    try:
        logger.error("Error handling request %s", "/p/Zm9vYmFyYmF6cXV4?x=1")
        logger.warning("Invalid request from %s: %s", "10.0.0.1", "GET /p/c2VjcmV0 HTTP/1.1")
    finally:
        for handler in logger.error_log.handlers + logger.access_log.handlers:
            handler.close()
        logger.error_log.filters.clear()
    text = (tmp_path / "error.log").read_text()
    assert "Zm9vYmFyYmF6cXV4" not in text and "c2VjcmV0" not in text
    assert text.count("/p/<redacted>") == 2

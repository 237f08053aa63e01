"""Security headers, request ids, trusted hosts and proxy handling: all in one place.

- Every response (pages, redirects, errors, static files) gets the CSP and its companions.
- Everything but a static file is ``Cache-Control: no-store``: pages may carry PHI. A static
  file asked for by its versioned URL (``assets.static_url``) is kept a year; the favicon,
  the manifest and an unversioned static URL are revalidated each time.
- HSTS only when the request came over HTTPS. Behind a TLS proxy, ``PROXY_FIX_HOPS`` says how
  many proxies to trust for X-Forwarded-For/-Proto/-Host (0: none, the default).
- No page takes an upload but those marked ``@takes_upload("field")``, and those only in that
  field: any other file part gets a 400 before any view reads a field (a file where a form
  expects text would otherwise reach the view as an object).
- ``TRUSTED_HOSTS`` is Flask's own setting (3.1+): a request for another Host gets a 400 before
  any view runs, so links built from the Host header cannot be poisoned.
"""

from __future__ import annotations

import secrets

from flask import Flask, abort, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import assets
from .services import audit

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HSTS = "max-age=63072000; includeSubDomains"

# Static files, the favicon and the manifest carry no patient information and may be cached.
CACHEABLE_ENDPOINTS = {"static", "main.stylesheet", "main.favicon", "main.manifest"}

FIXED_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def init_app(app: Flask) -> None:
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    def assign_request_id():
        g.request_id = secrets.token_hex(8)
        audit.set_request_id(g.request_id)  # the audit rows of this request's unit of work

    # First of all before_request functions, so even a CSRF failure page carries the id.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)
    app.teardown_request(lambda error: audit.set_request_id(None))
    app.before_request(refuse_uploads)
    app.after_request(add_headers)


def takes_upload(*fields: str):
    """Mark a view whose form has these file fields (the schedule import)."""

    def mark(view):
        view.upload_fields = frozenset(fields)
        return view

    return mark


def refuse_uploads():
    if request.files:
        view = current_app.view_functions.get(request.endpoint or "")
        if not set(request.files) <= getattr(view, "upload_fields", frozenset()):
            abort(400)


def add_headers(response):
    response.headers.update(FIXED_HEADERS)
    response.headers["Cache-Control"] = cache_control(response)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    response.headers["X-Request-Id"] = request_id()
    return response


def cache_control(response) -> str:
    if request.endpoint not in CACHEABLE_ENDPOINTS or response.status_code >= 400:
        return "no-store"
    if assets.is_current(request.endpoint, (request.view_args or {}).get("filename"),
                         request.args.get("v")):
        return assets.ONE_YEAR
    return "no-cache"


def request_id() -> str:
    """This request's reference (set before anything else runs; made here if it did not)."""
    if "request_id" not in g:
        g.request_id = secrets.token_hex(8)
    return g.request_id


def base_url() -> str:
    """The app's public address, for links made in a request: PUBLIC_BASE_URL when it is set,
    else the address this request came to (its host passed TRUSTED_HOSTS), where the app is
    mounted."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")
            ) + request.script_root

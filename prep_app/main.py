"""Pages that belong to no role: the front page, a health check, the favicon, the manifest."""

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from .assets import static_url, stylesheet
from .extensions import db
from .services import settings

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("frontdesk.board"))
    return render_template("index.html")


@bp.get("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/site.css", endpoint="stylesheet")
def stylesheet_file():
    """The one stylesheet every page loads (assets.STYLESHEET_PARTS), cached by its hash."""
    body, version = stylesheet()
    response = Response(body, mimetype="text/css")
    response.set_etag(version)
    return response.make_conditional(request)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: answer rather than log a 404."""
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/x-icon")


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: the clinic's name and icon, for a link saved to a home screen."""
    name = settings.get().name
    response = current_app.json.response({
        "name": name,
        "short_name": name[:12],
        "start_url": url_for("main.index"),
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": "#0172ad",
        "icons": [{"src": static_url("favicon.svg"), "type": "image/svg+xml", "sizes": "any"}],
    })
    response.mimetype = "application/manifest+json"
    return response

"""The front desk's board. (Built out in the staff issue.)"""

from flask import Blueprint, render_template

from ..auth.access import STAFF, require_roles

bp = Blueprint("frontdesk", __name__, url_prefix="/board")
require_roles(bp, *STAFF)


@bp.get("/")
def board():
    return render_template("frontdesk/board.html")

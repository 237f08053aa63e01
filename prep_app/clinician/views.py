"""The clinician's review queue. (Built out in the staff issue.)"""

from flask import Blueprint, render_template

from ..auth.access import require_roles
from ..models import Role

bp = Blueprint("clinician", __name__, url_prefix="/review")
require_roles(bp, Role.CLINICIAN, Role.ADMIN)


@bp.get("/")
def queue():
    return render_template("clinician/queue.html")

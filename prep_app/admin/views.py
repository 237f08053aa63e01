"""Clinic administration. (Built out in the staff issue.)"""

from flask import Blueprint, render_template

from ..auth.access import require_roles
from ..models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(bp, Role.ADMIN)


@bp.get("/")
def index():
    return render_template("admin/index.html")

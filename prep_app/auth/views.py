"""Staff sign-in and sign-out. (Built out in the staff issue.)"""

from flask import Blueprint, render_template

bp = Blueprint("auth", __name__, url_prefix="/staff")


@bp.get("/sign-in")
def login():
    return render_template("auth/login.html")


@bp.post("/sign-out")
def logout():
    from flask import redirect, session, url_for
    from flask_login import logout_user

    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))

"""``flask staff ...``: staff accounts from the command line.

Passwords are never taken as an argument (they would stay in the shell's history and show in
the process list): they are read from standard input when it is not a terminal, so scripts can
pipe them in, and asked for twice, hidden, when it is.

Every command writes in one transaction: on any error nothing is written, a clear message is
printed and the exit status is non-zero.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..models import Role
from ..services import accounts, sign_in
from .common import unit_of_work

staff_cli = AppGroup("staff", help="Staff accounts.")
ROLES = click.Choice([role.value for role in Role])


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def read_password() -> str:
    if stdin_is_terminal():
        return click.prompt("Password (at least 12 characters)", hide_input=True,
                            confirmation_prompt="Password again")
    text = sys.stdin.readline()
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    if not text:
        raise click.ClickException("No password was given on standard input.")
    return text


def _user(email: str):
    user = accounts.find_by_email(email)
    if user is None:
        raise accounts.StaffError(f"There is no staff account with the email {email.strip()}.")
    return user


@staff_cli.command("add")
@click.option("--email", required=True, help="Their work email; they sign in with it.")
@click.option("--name", required=True, help="Their name, as colleagues know them.")
@click.option("--role", required=True, type=ROLES, help="What they do at the clinic.")
def add(email: str, name: str, role: str):
    """Create a staff account. The password comes from standard input or a prompt."""
    with unit_of_work():
        # Check everything but the password first, so a typo is caught before it is typed.
        accounts.check_new_account(email, name, role)
        password = read_password()
        user = accounts.create(email, name, role, password, detail="; command line")
    click.echo(f"Added {user.email} as {user.role.label} (account #{user.id}).")


@staff_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str):
    """Deactivate an account: its sessions end at once and it can no longer sign in."""
    with unit_of_work():
        user = _user(email)
        changed = accounts.deactivate(user, detail="command line")
    click.echo(f"Deactivated {user.email}; every session of theirs has ended." if changed
               else f"{user.email} was already deactivated.")


@staff_cli.command("set-password")
@click.argument("email")
def set_password(email: str):
    """Set a new password (it also unlocks the account and ends its sessions)."""
    with unit_of_work():
        user = _user(email)
        password = read_password()
        accounts.set_password(user, password, detail="command line")
    click.echo(f"New password set for {user.email}; their other sessions have ended.")


@staff_cli.command("list")
def list_staff():
    """List staff accounts (no passwords, of course)."""
    for user in accounts.staff_list():
        state = "active" if user.is_active_account else "deactivated"
        if user.is_active_account and sign_in.is_locked(user):
            state = "locked for now"
        click.echo(f"#{user.id}  {user.email}  {user.name}  [{user.role.label}, {state}]")

"""``flask staff ...``: staff accounts from the command line. (Built out in the staff issue.)"""

from flask.cli import AppGroup

staff_cli = AppGroup("staff", help="Staff accounts.")

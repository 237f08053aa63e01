"""The one module-level app, for gunicorn: ``gunicorn wsgi:app``."""

from prep_app import create_app

app = create_app()

"""The reference: a bare Flask route returning a short text, served by the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello from the reference route."

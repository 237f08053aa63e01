"""Settings read from the environment. Every variable is listed in `.env.example`.

The app runs in production mode unless ``PREP_ENV`` says ``development`` or ``testing``.
Production refuses to start with DEBUG on, a missing, short or well-known SECRET_KEY, the
cheap password hashing meant for tests, or no TRUSTED_HOSTS.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask.helpers import get_debug_flag

RELAXED_ENVS = {"development", "testing"}
MIN_SECRET_LENGTH = 32
WELL_KNOWN_SECRETS = {
    "", "dev", "development", "changeme", "change-me", "change_me", "secret", "secret-key",
    "secret_key", "secretkey", "test", "testing", "please-change-me", "your-secret-key",
    "replace-me", "password", "flask", "default", "insecure",
}
HASH_COSTS = {"normal", "test"}
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR"}
SMTP_SECURITIES = {"none", "starttls", "tls"}
SMS_BACKENDS = {"", "twilio"}
TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _list(name: str) -> list[str] | None:
    value = os.environ.get(name, "").strip()
    return [part.strip() for part in value.split(",") if part.strip()] or None


def _number(name: str, default: str, kind: type):
    raw = os.environ.get(name, default).strip()
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}.") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative.")
    return value


def _limit(name: str, default: str) -> str:
    from limits import parse_many

    value = os.environ.get(name, "").strip() or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must read like 10/minute or 10/minute;50/hour, "
                          f"not {value!r}.") from None
    return value


def database_url(raw: str) -> str:
    """``postgres://`` and ``postgresql://`` use the installed driver, psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def from_environment(instance_path: str) -> dict:
    env = os.environ.get("PREP_ENV", "production").strip().lower() or "production"
    default_db = "sqlite:///" + str(Path(instance_path) / "prep_app.sqlite3")
    config = {
        "PREP_ENV": env,
        # Flask's own reading of FLASK_DEBUG, the one `flask run` uses to start its debugger.
        "DEBUG": get_debug_flag(),
        "TESTING": env == "testing",
        # Template edits show without a restart while developing (`make run`).
        "TEMPLATES_AUTO_RELOAD": env == "development",
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL", "") or default_db),
        "TRUSTED_HOSTS": _list("TRUSTED_HOSTS"),
        "PROXY_FIX_HOPS": _number("PROXY_FIX_HOPS", "0", int),
        # PostgreSQL connections each app process keeps open (DB_POOL_SIZE) and may open on top
        # in a burst (DB_MAX_OVERFLOW); see .env.example for the sum across servers.
        "DB_POOL_SIZE": _number("DB_POOL_SIZE", "5", int),
        "DB_MAX_OVERFLOW": _number("DB_MAX_OVERFLOW", "2", int),
        "SESSION_COOKIE_SECURE": env not in RELAXED_ENVS,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "prep_session",
        "WTF_CSRF_TIME_LIMIT": None,  # the session's own limits apply
        "ABSOLUTE_SESSION_HOURS": _number("ABSOLUTE_SESSION_HOURS", "12", float),
        "PASSWORD_HASH_COST": os.environ.get("PASSWORD_HASH_COST", "normal").strip().lower(),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").strip().upper(),
        # Flask-Compress: brotli when the browser offers it, else gzip; static files (sent as
        # streams) too, and their conditional requests still answered with 304.
        "COMPRESS_REGISTER": False,
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
        "COMPRESS_STREAMING_ENDPOINT_CONDITIONAL": ["static", "main.favicon"],
        # Rate limits (Flask-Limiter's notation, ";" between several). Per client address:
        "SIGN_IN_RATE_LIMIT": _limit("SIGN_IN_RATE_LIMIT", "10/minute;50/hour"),
        "PATIENT_RATE_LIMIT": _limit("PATIENT_RATE_LIMIT", "20/minute;100/hour"),
        "API_RATE_LIMIT": _limit("API_RATE_LIMIT", "60/minute;1000/hour"),
        # A provider's webhooks (Twilio's delivery reports and incoming texts), per address:
        "WEBHOOK_RATE_LIMIT": _limit("WEBHOOK_RATE_LIMIT", "120/minute"),
        # The desk's Resend button, per staff computer:
        "RESEND_RATE_LIMIT": _limit("RESEND_RATE_LIMIT", "10/minute;60/hour"),
        # And for everyone together, per kind (sign-in; link and date of birth; API; webhooks):
        "OVERALL_RATE_LIMIT": _limit("OVERALL_RATE_LIMIT", "300/minute"),
        # Where the counts live: memory:// is one process's own; several processes or servers
        # share redis:// (or memcached://) so a limit holds across all of them.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "").strip()
        or "memory://",
        "RATE_LIMITING": True,  # only the test suite turns the limits off
        **messaging(instance_path),
    }
    if env == "development" and not config["SECRET_KEY"]:
        # A development key is made per machine and kept in the instance folder, never a literal.
        config["SECRET_KEY"] = _instance_secret(instance_path)
    return config


def _text(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def messaging(instance_path: str) -> dict:
    """The job worker, texts and emails (see the Messages part of `.env.example`)."""
    return {
        # huey's own storage when the app's database is SQLite (PostgreSQL: the same database).
        "JOBS_SQLITE_PATH": _text("JOBS_SQLITE_PATH") or str(Path(instance_path) / "jobs.sqlite3"),
        # Development and testing without providers: where messages are kept instead of sent.
        "OUTBOX_PATH": _text("OUTBOX_PATH") or str(Path(instance_path) / "outbox"),
        "JOBS_TICK_SECONDS": _number("JOBS_TICK_SECONDS", "15", float),
        "MESSAGE_SENDING_TIMEOUT_SECONDS": _number("MESSAGE_SENDING_TIMEOUT_SECONDS", "300",
                                                   float),
        # Who texts and emails come from: the clinic's name as patients know it, without any
        # clinical word (not "... Ketamine Clinic"), kept short (texts are 160 characters).
        "MESSAGE_SENDER_NAME": _text("MESSAGE_SENDER_NAME", "Cedar City Clinic")[:30],
        "MESSAGE_LINK_ON_BOOKING": _text("MESSAGE_LINK_ON_BOOKING", "1").lower()
        in {"1", "true", "yes", "on"},
        "SMTP_HOST": _text("SMTP_HOST"),
        "SMTP_PORT": _number("SMTP_PORT", "587", int),
        "SMTP_USERNAME": _text("SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_SECURITY": _text("SMTP_SECURITY", "starttls").lower(),
        "SMTP_TIMEOUT_SECONDS": _number("SMTP_TIMEOUT_SECONDS", "20", float),
        "MAIL_FROM": _text("MAIL_FROM"),
        "SMS_BACKEND": _text("SMS_BACKEND").lower(),
        "TWILIO_ACCOUNT_SID": _text("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM": _text("TWILIO_FROM"),
        "TWILIO_API_BASE": _text("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/"),
        "TWILIO_TIMEOUT_SECONDS": _number("TWILIO_TIMEOUT_SECONDS", "20", float),
    }


def _instance_secret(instance_path: str) -> str:
    path = Path(instance_path) / "dev-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


# Where links point when no PUBLIC_BASE_URL is set and no request says (the CLI, the worker).
LOCAL_BASE_URL = "http://127.0.0.1:5000"


def public_base_url(config) -> str:
    """The app's public address for links made outside a request (commands, the job worker)."""
    return config.get("PUBLIC_BASE_URL") or LOCAL_BASE_URL


def is_production(config) -> bool:
    return config.get("PREP_ENV") not in RELAXED_ENVS


def check(config) -> None:
    """Refuse to run in production with an unsafe configuration; say what to change."""
    if config.get("PASSWORD_HASH_COST") not in HASH_COSTS:
        raise ConfigError(f"PASSWORD_HASH_COST must be one of {', '.join(sorted(HASH_COSTS))}.")
    if config.get("LOG_LEVEL", "INFO") not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(sorted(LOG_LEVELS))}.")
    if config.get("SMTP_SECURITY", "starttls") not in SMTP_SECURITIES:
        raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(sorted(SMTP_SECURITIES))}.")
    if config.get("SMS_BACKEND", "") not in SMS_BACKENDS:
        raise ConfigError("SMS_BACKEND must be twilio or empty (no texts).")
    missing = [name for name in TWILIO_SETTINGS if not config.get(name)]
    if config.get("SMS_BACKEND") == "twilio" and missing:
        raise ConfigError(f"SMS_BACKEND is twilio but {', '.join(missing)} not set: set them "
                          "from the Twilio console.")
    if config.get("SMTP_HOST") and not config.get("MAIL_FROM"):
        raise ConfigError("SMTP_HOST is set but MAIL_FROM is not: set the address emails come "
                          "from.")
    if not is_production(config):
        return
    problems = []
    if config.get("DEBUG"):
        problems.append("DEBUG is on: unset FLASK_DEBUG (the debugger runs any code it is sent).")
    secret = str(config.get("SECRET_KEY") or "")
    if secret.strip().lower() in WELL_KNOWN_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"SECRET_KEY is missing, too short or well known: set a random value of at least "
            f"{MIN_SECRET_LENGTH} characters, for example the output of "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'.")
    if config.get("PASSWORD_HASH_COST") == "test":
        problems.append("PASSWORD_HASH_COST=test is only for the test suite: remove it.")
    if not config.get("TRUSTED_HOSTS"):
        problems.append("TRUSTED_HOSTS is not set: list the host names patients and staff use "
                        "(comma separated), so a forged Host header cannot write the links.")
    if problems:
        raise ConfigError(
            "prep_app will not start in production mode (PREP_ENV is "
            f"{config.get('PREP_ENV')!r}; set PREP_ENV=development to try it locally):\n- "
            + "\n- ".join(problems))

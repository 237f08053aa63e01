"""Settings read from the environment. Every variable is listed in `.env.example`.

The app runs in production mode unless ``PREP_ENV`` says ``development`` or ``testing``.
Production refuses to start with DEBUG on or a missing or well-known SECRET_KEY.
"""

import os
from pathlib import Path

WELL_KNOWN_SECRETS = {"", "dev", "development", "changeme", "change-me", "secret", "secret-key",
                      "test", "testing", "please-change-me", "your-secret-key"}


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str] | None:
    value = os.environ.get(name, "").strip()
    return [part.strip() for part in value.split(",") if part.strip()] or None


def from_environment(instance_path: str) -> dict:
    env = os.environ.get("PREP_ENV", "production").strip().lower()
    default_db = "sqlite:///" + str(Path(instance_path) / "prep_app.sqlite3")
    config = {
        "PREP_ENV": env,
        "DEBUG": _bool("FLASK_DEBUG", False),
        "TESTING": env == "testing",
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "TRUSTED_HOSTS": _list("TRUSTED_HOSTS"),
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0")),
        "SESSION_COOKIE_SECURE": env == "production",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "prep_session",
        "WTF_CSRF_TIME_LIMIT": None,  # the session's own limits apply
        "ABSOLUTE_SESSION_HOURS": float(os.environ.get("ABSOLUTE_SESSION_HOURS", "12")),
        "PASSWORD_HASH_COST": os.environ.get("PASSWORD_HASH_COST", "normal"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "MAX_CONTENT_LENGTH": 256 * 1024,
    }
    if env == "development" and not config["SECRET_KEY"]:
        # A development key is made per machine and kept in the instance folder, never a literal.
        config["SECRET_KEY"] = _instance_secret(instance_path)
    return config


def _instance_secret(instance_path: str) -> str:
    import secrets

    path = Path(instance_path) / "dev-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def check(config: dict) -> None:
    """Refuse to run in production with an unsafe configuration."""
    if config.get("PREP_ENV") not in {"development", "testing"}:
        if config.get("DEBUG"):
            raise ConfigError("DEBUG must be off in production (unset FLASK_DEBUG).")
        secret = str(config.get("SECRET_KEY") or "")
        if secret.lower() in WELL_KNOWN_SECRETS or len(secret) < 32:
            raise ConfigError(
                "SECRET_KEY is missing, too short or well known: set a random value of at "
                "least 32 characters (python -c 'import secrets; print(secrets.token_hex(32))')."
            )

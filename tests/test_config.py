"""Settings come from the environment. Production is the default, and production refuses to start
with DEBUG on or a SECRET_KEY someone could guess, saying what to change."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from prep_app import create_app
from prep_app.config import ConfigError, from_environment
from prep_app.extensions import db

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "4f1c" * 16
SETTINGS = ("PREP_ENV", "SECRET_KEY", "FLASK_DEBUG", "DATABASE_URL", "TRUSTED_HOSTS",
            "PROXY_FIX_HOPS", "PUBLIC_BASE_URL", "ABSOLUTE_SESSION_HOURS", "PASSWORD_HASH_COST",
            "LOG_LEVEL", "SIGN_IN_RATE_LIMIT", "PATIENT_RATE_LIMIT", "OVERALL_RATE_LIMIT",
            "RATELIMIT_STORAGE_URI", "DB_POOL_SIZE", "DB_MAX_OVERFLOW")


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment: none of our settings, and a database in a temporary folder."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'config.sqlite3'}")

    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def started():
    """The app built from the environment alone, as gunicorn and the flask command do."""
    return create_app()


def test_the_app_is_in_production_mode_unless_told_otherwise(env):
    env(SECRET_KEY=GOOD_SECRET, TRUSTED_HOSTS="prep.clinic.example")
    app = started()
    assert app.config["PREP_ENV"] == "production"
    assert app.debug is False and app.testing is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("hosts", [None, "", " , "])
def test_production_refuses_to_start_without_trusted_hosts(env, hosts):
    """Without it, a forged Host header would write the links the app sends out."""
    env(SECRET_KEY=GOOD_SECRET)
    if hosts is not None:
        env(TRUSTED_HOSTS=hosts)
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS is not set"):
        started()
    env(TRUSTED_HOSTS="prep.clinic.example")
    assert started().config["TRUSTED_HOSTS"] == ["prep.clinic.example"]


@pytest.mark.parametrize("value", ["staging", "prod", "PRODUCTION", "dev"])
def test_any_other_environment_name_means_production(env, value):
    env(PREP_ENV=value)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        started()


@pytest.mark.parametrize("secret", [None, "", "dev", "changeme", "CHANGEME", " secret ",
                                    "please-change-me", "x" * 31])
def test_production_refuses_a_missing_short_or_well_known_secret_key(env, secret):
    if secret is not None:
        env(SECRET_KEY=secret)
    with pytest.raises(ConfigError) as refused:
        started()
    message = str(refused.value)
    assert "SECRET_KEY" in message
    assert "at least 32 characters" in message
    assert "PREP_ENV=development" in message  # the way to try it locally


@pytest.mark.parametrize("flag", ["1", "true", "yes", "2"])
def test_production_refuses_debug(env, flag):
    """Whatever `flask run` would read as debug (its debugger runs code it is sent)."""
    env(SECRET_KEY=GOOD_SECRET, FLASK_DEBUG=flag)
    with pytest.raises(ConfigError, match="DEBUG is on"):
        started()


def test_production_refuses_the_cheap_password_hashing_of_the_tests(env):
    env(SECRET_KEY=GOOD_SECRET, PASSWORD_HASH_COST="test")
    with pytest.raises(ConfigError, match="PASSWORD_HASH_COST"):
        started()


def test_every_problem_is_named_at_once(env):
    env(SECRET_KEY="dev", FLASK_DEBUG="1")
    with pytest.raises(ConfigError) as refused:
        started()
    assert "DEBUG" in str(refused.value) and "SECRET_KEY" in str(refused.value)


@pytest.mark.parametrize("name", ["development", "testing", " Development "])
def test_development_and_testing_start_without_a_secret_key(env, name, tmp_path):
    env(PREP_ENV=name)
    config = from_environment(str(tmp_path))
    assert config["PREP_ENV"] == name.strip().lower()
    assert config["SESSION_COOKIE_SECURE"] is False


def test_development_makes_a_random_secret_once_and_keeps_it(env, tmp_path):
    env(PREP_ENV="development")
    first = from_environment(str(tmp_path))["SECRET_KEY"]
    again = from_environment(str(tmp_path))["SECRET_KEY"]
    other_machine = from_environment(str(tmp_path / "elsewhere"))["SECRET_KEY"]
    assert len(first) >= 32 and first == again != other_machine
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_development_may_debug(env):
    env(PREP_ENV="development", SECRET_KEY=GOOD_SECRET, FLASK_DEBUG="1")
    assert started().debug is True


def test_settings_are_read_from_the_environment(env):
    env(SECRET_KEY=GOOD_SECRET, TRUSTED_HOSTS="prep.clinic.example, localhost ,",
        PROXY_FIX_HOPS="1", PUBLIC_BASE_URL="https://prep.clinic.example/",
        ABSOLUTE_SESSION_HOURS="8", LOG_LEVEL="warning")
    config = started().config
    assert config["TRUSTED_HOSTS"] == ["prep.clinic.example", "localhost"]
    assert config["PROXY_FIX_HOPS"] == 1
    assert config["PUBLIC_BASE_URL"] == "https://prep.clinic.example"
    assert config["ABSOLUTE_SESSION_HOURS"] == 8.0
    assert config["LOG_LEVEL"] == "WARNING"


@pytest.mark.parametrize("given", ["postgres://u:p@db.internal/prep",
                                   "postgresql://u:p@db.internal/prep",
                                   "postgresql+psycopg://u:p@db.internal/prep"])
def test_a_postgresql_url_uses_the_installed_driver(env, given, tmp_path):
    env(DATABASE_URL=given)
    url = from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert url == "postgresql+psycopg://u:p@db.internal/prep"


def test_each_process_opens_at_most_the_pool_the_settings_allow(env):
    """The engine is made without connecting: its pool is what DB_POOL_SIZE and
    DB_MAX_OVERFLOW say, so servers x workers x (size + overflow) is the most PostgreSQL sees."""
    env(SECRET_KEY=GOOD_SECRET, TRUSTED_HOSTS="prep.clinic.example",
        DATABASE_URL="postgresql://u:p@127.0.0.1:9/prep", DB_POOL_SIZE="3", DB_MAX_OVERFLOW="1")
    app = started()
    with app.app_context():
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow) == (3, 1)


def test_without_database_url_sqlite_lives_in_the_instance_folder(env, monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL")
    url = from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert url == f"sqlite:///{tmp_path / 'prep_app.sqlite3'}"


@pytest.mark.parametrize(("name", "value"), [("PROXY_FIX_HOPS", "one"),
                                             ("ABSOLUTE_SESSION_HOURS", "-1"),
                                             ("PASSWORD_HASH_COST", "cheap"),
                                             ("LOG_LEVEL", "LOUD"),
                                             ("SIGN_IN_RATE_LIMIT", "lots"),
                                             ("PATIENT_RATE_LIMIT", "5 a minute"),
                                             ("DB_POOL_SIZE", "many")])
def test_a_bad_value_is_named(env, name, value):
    env(SECRET_KEY=GOOD_SECRET, **{name: value})
    with pytest.raises(ConfigError, match=name):
        started()


def test_gunicorn_entry_point_refuses_to_start_without_a_secret_key(env):
    """`gunicorn wsgi:app` with nothing set: no server, and the reason in its output."""
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "ConfigError" in done.stderr and "SECRET_KEY is missing" in done.stderr


def test_make_run_says_development_and_the_tests_say_testing():
    plan = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False).stdout
    flask_lines = [line for line in plan.splitlines() if "/flask " in line]
    assert flask_lines and all("PREP_ENV=development" in line for line in flask_lines)
    assert os.environ["PREP_ENV"] == "testing"


def test_ci_fails_where_a_developer_machine_skips(monkeypatch):
    """A missing PostgreSQL or Chromium skips on a laptop, and fails under PREP_REQUIRE_ALL=1."""
    from . import conftest

    monkeypatch.setattr(conftest, "REQUIRE_ALL", False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not available"):
        conftest.missing("Chromium")
    monkeypatch.setattr(conftest, "REQUIRE_ALL", True)
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        conftest.missing("Chromium")


def test_ci_script_requires_everything_and_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert "export PREP_REQUIRE_ALL=1" in script
    assert script.rstrip().endswith("make test")
    assert "[ -x /usr/bin/chromium ] || packages+=(chromium)" in script


def test_every_setting_the_app_reads_is_in_the_env_example():
    root = Path(__file__).resolve().parent.parent
    source = (root / "prep_app" / "config.py").read_text()
    read = set(re.findall(r'(?:environ\.get|_text|_number|_limit|_list)\("([A-Z_]+)"', source))
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z_]+)=", (root / ".env.example").read_text(),
                            re.MULTILINE))
    assert read and read - listed == set(), "add these settings to .env.example"

"""Starting the portal as production: the secret key, `check --deploy`, HTTPS-only cookies.

Settings are read once, at import, so each case starts the real `manage.py` or a fresh
interpreter in a subprocess with an environment built here, and nothing from this process's.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
OLD_PLACEHOLDER = "insecure-demo-key-set-SECRET_KEY-in-production"


def env_example():
    """The variables `.env.example` sets, as a deployment would load them."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def run(args, env):
    # Only what a shell needs; no variable of this process reaches the portal's settings.
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "LANG": "C.UTF-8", **env},
        capture_output=True,
        text=True,
        timeout=120,  # a bound on a hang, not a timing assertion
    )


def settings_in(env, *names):
    code = (
        "import json, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings')\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))\n"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def random_key():
    return secrets.token_urlsafe(50)


def test_a_production_start_without_a_secret_key_is_refused_with_a_clear_message():
    result = run(["manage.py", "check"], {})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr
    assert "DEBUG=1" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        OLD_PLACEHOLDER,
        "change-me-to-a-long-random-string",  # the old .env.example's
        "insecure-demo-key-for-DEBUG-1-only",  # the demo's, published in settings.py
    ],
)
def test_a_production_start_with_a_key_published_in_the_repository_is_refused(key):
    result = run(["manage.py", "check"], {"SECRET_KEY": key})

    assert result.returncode != 0
    assert "SECRET_KEY is not set, or is a placeholder" in result.stderr


def test_the_demo_starts_without_a_key_only_under_debug():
    assert run(["manage.py", "check"], {"DEBUG": "1"}).returncode == 0
    assert run(["manage.py", "check"], {"DEBUG": "0"}).returncode != 0


def test_env_example_ships_no_usable_secret_key():
    # A key copied from the example would be known to everyone who read it.
    assert env_example().get("SECRET_KEY", "") == ""


def test_check_deploy_passes_with_the_settings_in_env_example():
    """The real command, on `.env.example` as it stands. The example's SECRET_KEY is blank on
    purpose, so this fills in a random one, as an operator must. The check does not connect to
    the example's database or Redis, so their host names stay as they are."""
    env = env_example()
    env["SECRET_KEY"] = env.get("SECRET_KEY") or random_key()

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_over_https_the_cookies_are_secure_and_carry_the_host_prefix():
    """A `__Host-` cookie is refused by the browser unless it is Secure, for Path=/ and without a
    Domain: plain http or a sibling subdomain cannot plant or overwrite the session or CSRF
    cookie."""
    env = {**env_example(), "SECRET_KEY": random_key()}

    got = settings_in(
        env,
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_PATH",
        "SESSION_COOKIE_DOMAIN",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_PATH",
        "CSRF_COOKIE_DOMAIN",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    )

    assert got["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert got["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert got["SESSION_COOKIE_SECURE"] and got["CSRF_COOKIE_SECURE"]
    assert got["SESSION_COOKIE_PATH"] == got["CSRF_COOKIE_PATH"] == "/"
    assert got["SESSION_COOKIE_DOMAIN"] is None and got["CSRF_COOKIE_DOMAIN"] is None
    assert got["SECURE_SSL_REDIRECT"]
    assert got["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert got["SECURE_HSTS_INCLUDE_SUBDOMAINS"]


def test_secure_cookies_alone_turn_on_the_redirect_and_hsts():
    env = {"SECRET_KEY": random_key(), "SECURE_COOKIES": "1"}

    got = settings_in(env, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_NAME")

    assert got["SECURE_SSL_REDIRECT"] and got["SECURE_HSTS_SECONDS"] > 0
    assert got["SESSION_COOKIE_NAME"] == "__Host-sessionid"


def test_the_demo_on_plain_http_keeps_plain_cookies_and_no_redirect():
    # A browser drops a Secure or __Host- cookie set over http: the demo's logins would fail.
    got = settings_in(
        {"DEBUG": "1"},
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
    )

    assert got == {
        "SESSION_COOKIE_NAME": "sessionid",
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_NAME": "csrftoken",
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [("SECURE_COOKIES", "ture"), ("BEHIND_PROXY", "sim"), ("HSTS_PRELOAD", "2")],
)
def test_a_misspelt_yes_no_variable_stops_the_start_instead_of_turning_a_protection_off(
    name, value
):
    result = run(["manage.py", "check"], {"SECRET_KEY": random_key(), name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name}={value!r} is not a yes/no value" in result.stderr


@pytest.mark.parametrize("value", ["1", "true", "Yes", " on ", "0", "false", "NO", "off", ""])
def test_the_yes_no_words_are_accepted_in_any_case(value):
    env = {"SECRET_KEY": random_key(), "SECURE_COOKIES": value}

    expected = value.strip().lower() in ("1", "true", "yes", "on")
    assert settings_in(env, "SESSION_COOKIE_SECURE") == {"SESSION_COOKIE_SECURE": expected}


def test_a_number_variable_that_is_not_a_number_stops_the_start():
    result = run(["manage.py", "check"], {"SECRET_KEY": random_key(), "SESSION_MAX_AGE": "12h"})

    assert result.returncode != 0
    assert "SESSION_MAX_AGE='12h' is not a whole number" in result.stderr

"""Starting the portal as production: the secret key.

Settings are read once, at import, so each case starts the real `manage.py` or a fresh
interpreter in a subprocess with an environment built here, and nothing from this process's.
"""

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

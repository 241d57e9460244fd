"""A pytest plugin (`-p tests.secret_key` in pyproject.toml) loaded before Django's settings.

The settings refuse to start without SECRET_KEY unless DEBUG=1, and the tests run as production
does. So that `pytest tests/some_file.py` works by hand as `make test` does, a run without a key
gets a random one, thrown away with the run.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

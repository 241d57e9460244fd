"""A pytest plugin (`-p tests.environment` in pyproject.toml), loaded before Django's settings.

- The settings refuse to start without SECRET_KEY unless DEBUG=1, and the tests run as production
  does. So that `pytest tests/some_file.py` works by hand as `make test` does, a run without a key
  gets a random one, thrown away with the run.
- `make test` runs the suite in parallel (pytest-xdist). Each test empties the cache, and on
  Redis that empties the whole database (FLUSHDB), so each worker gets a Redis database of its
  own: gw0 keeps the one REDIS_URL names, gw1 the one below it, and so on. PostgreSQL needs
  nothing here: pytest-django gives each worker its own test database.
"""

import os
import re
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

_worker = re.fullmatch(r"gw([0-9]+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
_redis = re.fullmatch(r"(redis://[^/]+)/([0-9]+)", os.environ.get("REDIS_URL", ""))
if _worker and _redis:
    database = int(_redis[2]) - int(_worker[1])
    if database < 0:
        raise RuntimeError(
            f"REDIS_URL {_redis[0]} leaves no Redis database for worker {_worker[0]}"
        )
    os.environ["REDIS_URL"] = f"{_redis[1]}/{database}"

"""How production serves the portal: gunicorn's sync workers for HTTP (gunicorn.conf.py), each
keeping one database connection, and the ASGI application for the chat's WebSocket only."""

import importlib
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext
from gunicorn.app.wsgiapp import WSGIApplication

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "gunicorn.conf.py"
SERVING_ENV = (
    "WEB_CONCURRENCY",
    "PORT",
    "BIND",
    "GUNICORN_TIMEOUT",
    "GUNICORN_MAX_REQUESTS",
    "ACCESS_LOG",
    "GUNICORN_CMD_ARGS",
)


def gunicorn_config(monkeypatch, **env):
    """gunicorn's own Config after it read gunicorn.conf.py, as `gunicorn portal.wsgi` does."""
    for name in SERVING_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["gunicorn", "--config", str(CONFIG), "portal.wsgi"])
    return WSGIApplication().cfg


def test_gunicorn_runs_sync_workers_sized_to_the_cores_by_default(monkeypatch):
    cores = 3
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(cores)))
    cfg = gunicorn_config(monkeypatch)
    assert cfg.worker_class_str == "sync"
    assert cfg.workers == 2 * cores + 1
    assert cfg.bind == ["127.0.0.1:8000"]
    assert cfg.accesslog is None
    assert cfg.max_requests == 1000
    assert 0 < cfg.max_requests_jitter < cfg.max_requests
    # The xlsx report of 100,000 rows takes about 50 s on one sync worker, which sends no
    # heartbeat while it streams: a shorter timeout would kill it mid-file.
    assert cfg.timeout >= 60
    assert cfg.control_socket_disable


def test_web_concurrency_sets_the_workers_and_so_the_database_connections(monkeypatch):
    cfg = gunicorn_config(monkeypatch, WEB_CONCURRENCY="3")
    assert cfg.workers == 3
    assert cfg.worker_class_str == "sync"


def test_a_cpu_quota_below_the_host_cores_sizes_the_workers(monkeypatch, tmp_path):
    """A container limited to 2 CPUs on a 64-core host must not start 129 workers."""
    namespace = {}
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), namespace)
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("150000 100000\n")
    real_path = namespace["Path"]
    monkeypatch.setitem(
        namespace,
        "Path",
        lambda p: cpu_max if p == "/sys/fs/cgroup/cpu.max" else real_path(p),
    )
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)))
    assert namespace["cpu_count"]() == 2


def test_port_binds_every_interface_and_bind_wins(monkeypatch):
    assert gunicorn_config(monkeypatch, PORT="9000").bind == ["0.0.0.0:9000"]
    cfg = gunicorn_config(monkeypatch, PORT="9000", BIND="unix:/run/portal.sock,127.0.0.1:81")
    assert cfg.bind == ["unix:/run/portal.sock", "127.0.0.1:81"]


def test_access_log_goes_to_stdout_when_asked(monkeypatch):
    assert gunicorn_config(monkeypatch, ACCESS_LOG="1").accesslog == "-"


def test_timeout_and_max_requests_come_from_the_environment(monkeypatch):
    cfg = gunicorn_config(monkeypatch, GUNICORN_TIMEOUT="300", GUNICORN_MAX_REQUESTS="500")
    assert cfg.timeout == 300
    assert cfg.max_requests == 500
    assert cfg.max_requests_jitter == 50


def test_gunicorn_serves_the_wsgi_application(monkeypatch):
    assert gunicorn_config(monkeypatch).wsgi_app == "portal.wsgi:application"


# The database connection settings, read in a fresh interpreter for each environment -----------


def database_settings(entry_point, **env):
    code = (
        f"import json, {entry_point}\n"
        "from django.conf import settings\n"
        "db = settings.DATABASES['default']\n"
        "print(json.dumps([db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS']]))\n"
    )
    clean = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


# Parsed, never connected to: the settings only read the URL.
PG = "postgres://portal@db.invalid:5432/portal"


def test_production_keeps_database_connections_by_default():
    assert database_settings("portal.wsgi", DATABASE_URL=PG) == [60, True]


def test_db_conn_max_age_overrides_the_default():
    assert database_settings("portal.wsgi", DATABASE_URL=PG, DB_CONN_MAX_AGE="0") == [0, True]


def test_the_sqlite_demo_opens_a_connection_per_request():
    assert database_settings("portal.wsgi")[0] == 0


def test_the_asgi_server_never_keeps_connections_even_when_the_environment_says_so():
    """Under ASGI each request's sync code runs in a thread of its own; a kept connection per
    thread is how 8 users reached 81 PostgreSQL connections in two minutes."""
    assert database_settings("portal.asgi", DATABASE_URL=PG, DB_CONN_MAX_AGE="60")[0] == 0


# The ASGI application: no HTTP path to Django ----------------------------------------------------


@pytest.fixture
def asgi_application(monkeypatch):
    # Importing portal.asgi sets DB_CONN_MAX_AGE for its process; keep the test process's own.
    monkeypatch.setenv("DB_CONN_MAX_AGE", "0")
    return importlib.import_module("portal.asgi")


@async_to_sync
async def http_get(application, path, method="GET"):
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8001),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(1)
    body = await communicator.receive_output(1)
    await communicator.wait(1)
    return start["status"], body["body"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/pedidos/", "/comissoes/", "/admin/", "/entrar/"])
def test_the_asgi_application_answers_404_to_every_page_without_django(path, asgi_application):
    with CaptureQueriesContext(connection) as queries:
        status, body = http_get(asgi_application.application, path)
    assert status == 404
    assert b"WebSocket" in body
    assert len(queries) == 0


def test_the_asgi_application_answers_the_load_balancers_health_check(asgi_application):
    assert http_get(asgi_application.application, "/healthz") == (200, b"ok\n")
    assert http_get(asgi_application.application, "/healthz", "HEAD") == (200, b"")


def test_the_asgi_router_sends_http_nowhere_near_django(asgi_application):
    mapping = asgi_application.application.application_mapping
    assert set(mapping) == {"http", "websocket"}
    assert not isinstance(mapping["http"], ASGIHandler)
    assert mapping["http"] is asgi_application.http_outside_the_chat


def test_the_health_check_answers_over_plain_http_without_the_database(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert len(queries) == 0


def test_other_pages_still_redirect_to_https(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/entrar/")

    assert response.status_code == 301
    assert response.url.startswith("https://")

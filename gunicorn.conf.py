"""gunicorn's configuration for the portal's HTTP traffic, read from the environment.

gunicorn reads ./gunicorn.conf.py by itself, so from the repository root:

    .venv/bin/gunicorn portal.wsgi

Every view is synchronous. A sync worker serves one request at a time on one thread, so it holds
at most one database connection, which it keeps between requests (DB_CONN_MAX_AGE): PostgreSQL
sees at most `workers` connections per instance, however many users there are. See README.md,
"Serving". Any other gunicorn option can be given in GUNICORN_CMD_ARGS.
"""

import math
import os
from pathlib import Path


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _bool(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def cpu_count():
    """The cores this process may use: its CPU affinity, within the container's CPU quota.

    os.cpu_count() is the host's count; in a container limited to 2 CPUs on a 64-core host it
    would start 129 workers, and 129 database connections.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def _bind():
    if os.environ.get("BIND", "").strip():
        return [address.strip() for address in os.environ["BIND"].split(",") if address.strip()]
    if os.environ.get("PORT", "").strip():
        # A platform that sets PORT routes to the container from outside it.
        return [f"0.0.0.0:{_int('PORT', 8000)}"]
    return ["127.0.0.1:8000"]


wsgi_app = "portal.wsgi:application"
bind = _bind()
worker_class = "sync"
# gunicorn's own rule: two workers per core keep the cores busy while the others wait on
# PostgreSQL, plus one. Each is one database connection: WEB_CONCURRENCY × instances must stay
# below PostgreSQL's max_connections.
workers = _int("WEB_CONCURRENCY", 2 * cpu_count() + 1)
# A sync worker reports to the arbiter only between requests, so this must outlast the slowest
# legitimate request: the xlsx report, about 50 s for 100,000 rows.
timeout = _int("GUNICORN_TIMEOUT", 120)
# Recycle workers now and then so that a slow leak cannot grow for ever; the jitter keeps them
# from all restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10
# The load balancer logs every request; set ACCESS_LOG=1 to log them here too, on stdout.
accesslog = "-" if _bool("ACCESS_LOG") else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The heartbeat file: on a container's overlay filesystem, writes to /tmp can stall a worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn ≥ 25 opens a management socket (worker count, reload, shutdown) at one path per user,
# $HOME/.gunicorn/gunicorn.ctl, which a second server on the host would take over. Nothing here
# uses it; signals (HUP, TTIN, TTOU, TERM) remain.
control_socket_disable = True

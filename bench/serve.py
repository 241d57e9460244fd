#!/usr/bin/env python
"""Serving under load: PostgreSQL connections, throughput and latency of a real server.

    .venv/bin/python bench/serve.py --db portal_bench_10k
    .venv/bin/python bench/serve.py --db portal_bench_10k --servers gunicorn,uvicorn

Starts the server under test as a subprocess on a loaded bench database (bench/run.py load),
logs in `--users` simulated users (one session each, as the loader's two reseller admins), has
them browse the dashboard, the list pages and the detail pages for `--duration` seconds, and
samples the database's connections in pg_stat_activity every `--sample` seconds. It prints a
Markdown report and writes it, with the raw figures, to bench/results/serve-<date>.{md,json}.

Servers:

- `gunicorn`: the production setup, `gunicorn portal.wsgi` with the repository's
  gunicorn.conf.py and the production defaults (persistent connections);
- `uvicorn`: Django's own ASGI handler under uvicorn with DB_CONN_MAX_AGE=60, as production ran
  before gunicorn (portal.asgi no longer routes HTTP to Django). uvicorn is not a dependency of
  the portal: `.venv/bin/pip install uvicorn` first, or the comparison is skipped;
- `uvicorn-no-persist`: the same with DB_CONN_MAX_AGE=0, the only safe setting under ASGI.

PostgreSQL is shared: a run stops early when the connections reach `--guard` (default 40), so
that a server that leaks connections cannot exhaust max_connections for everyone else.
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import PG, RESULTS, loadavg, log, percentile, setup_django  # noqa: E402

VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "bench-serve-secret-key-shared-by-the-bench-and-the-server"
SERVERS = ("gunicorn", "uvicorn", "uvicorn-no-persist")
# What a user does next, and how often.
MIX = (("dashboard", 15), ("list", 45), ("detail", 40))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the users and what they open ----------------------------------------------------------------


def sessions(users):
    """`users` session cookies: the loader's admins of reseller A (3 in 4) and B (1 in 4), each
    session logged in on its own, as separate browsers would be."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.load_orders import ADMIN_A, ADMIN_B

    User = get_user_model()
    cookies = []
    for n in range(users):
        user = User.objects.get(email=ADMIN_B if n % 4 == 3 else ADMIN_A)
        client = Client()
        client.force_login(user)
        cookies.append((user.email, client.cookies["sessionid"].value))
    return cookies


def urls_for(email, rng, samples=200):
    """{kind: [url, ...]} that the user `email` may open: pages, filters and detail pages of its
    own reseller, the details picked at random across the whole history."""
    from django.db.models import Max, Min

    from commissions.models import Commission
    from orders.models import Order

    reseller_filter = {"account__reseller__collaborators__user__email": email}
    details = []
    for model, prefix, key in ((Order, "/pedidos/", "number"), (Commission, "/comissoes/", "pk")):
        rows = model.objects.filter(**reseller_filter)
        bounds = rows.aggregate(low=Min("pk"), high=Max("pk"))
        picks = [rng.randint(bounds["low"], bounds["high"]) for _ in range(samples * 3)]
        found = rows.filter(pk__in=picks).values_list(key, flat=True)[:samples]
        details += [f"{prefix}{value}/" for value in found]
    lists = [
        "/pedidos/",
        "/pedidos/?page=2",
        "/pedidos/?page=7",
        "/pedidos/?per_page=50",
        "/pedidos/?status=completed",
        "/pedidos/?status=invoiced&per_page=25",
        "/pedidos/?delivery_status=in_transit",
        "/pedidos/?customer=hospital",
        "/pedidos/?sort=number",
        "/comissoes/",
        "/comissoes/?page=3",
        "/comissoes/?status=released",
        "/comissoes/?overdue=true",
        "/comissoes/?status=paid&company=IMB&per_page=50",
        "/colaboradores/",
    ]
    return {"dashboard": ["/"], "list": lists, "detail": details}


# -- the server ----------------------------------------------------------------------------------


def server_command(name, port, workers):
    if name == "gunicorn":
        return [str(VENV_BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py")], {
            "BIND": f"127.0.0.1:{port}",
            **({"WEB_CONCURRENCY": str(workers)} if workers else {}),
        }
    uvicorn = shutil.which("uvicorn", path=str(VENV_BIN))
    if uvicorn is None:
        return None, None
    command = [uvicorn, "--factory", "django.core.asgi:get_asgi_application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    command += ["--workers", str(workers or default_workers())]
    return command, {"DB_CONN_MAX_AGE": "0" if name == "uvicorn-no-persist" else "60"}


def default_workers():
    """What gunicorn.conf.py starts with no WEB_CONCURRENCY: uvicorn gets as many workers."""
    namespace = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    return namespace["workers"]


def start_server(name, db, port, workers):
    command, extra = server_command(name, port, workers)
    if command is None:
        return None
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DB_CONN_MAX_AGE", "WEB_CONCURRENCY", "BIND", "PORT", "GUNICORN_CMD_ARGS")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"{PG}/{db}",
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        **extra,
    )
    output = open(RESULTS / f"serve-{name}.log", "w")  # noqa: SIM115  (closed in stop_server)
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    process.log_file = output
    return process


def wait_until_ready(port, process, seconds=60):
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/entrar/", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not answer in time")


def stop_server(process):
    # The server runs in its own session: signal its group, master and workers alike.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    process.log_file.close()


# -- connections ---------------------------------------------------------------------------------


class Sampler(threading.Thread):
    """Counts the database's connections every `interval` seconds, from the `postgres` database
    so that its own connection is not counted; sets `stop` when they reach `guard`."""

    def __init__(self, db, interval, guard, stop):
        super().__init__(daemon=True)
        self.db, self.interval, self.guard, self.stop = db, interval, guard, stop
        self.samples, self.tripped = [], False
        self.done = threading.Event()
        self.started_at = None

    def count(self, conn):
        return conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'active') "
            "FROM pg_stat_activity WHERE datname = %s",
            [self.db],
        ).fetchone()

    def run(self):
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            self.started_at = time.monotonic()
            while not self.done.is_set():
                total, active = self.count(conn)
                elapsed = time.monotonic() - self.started_at
                self.samples.append(
                    {"t": round(elapsed, 1), "connections": total, "active": active}
                )
                log(f"  t={elapsed:5.0f} s: {total} connections ({active} active)")
                if total >= self.guard:
                    self.tripped = True
                    self.stop.set()
                self.done.wait(self.interval)

    def once(self):
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            return self.count(conn)[0]


# -- the users -----------------------------------------------------------------------------------


def browse(port, cookie, urls, rng, stop, results):
    import httpx

    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", cookies={"sessionid": cookie}, timeout=120
    ) as client:
        while not stop.is_set():
            kind = rng.choices(kinds, weights)[0]
            url = rng.choice(urls[kind])
            started = time.perf_counter()
            try:
                status = client.get(url).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            results.append((started, kind, status, (time.perf_counter() - started) * 1000))


def run_server(name, args, cookies, urls):
    port = free_port()
    process = start_server(name, args.db, port, args.workers)
    if process is None:
        log(f"{name}: not installed in {VENV_BIN} (pip install uvicorn); skipped")
        return {"server": name, "skipped": "uvicorn is not installed in the venv"}
    stop = threading.Event()
    try:
        wait_until_ready(port, process)
        workers = args.workers or default_workers()
        log(f"{name}: ready on port {port} ({workers} workers); {args.users} users …")
        sampler = Sampler(args.db, args.sample, args.guard, stop)
        results = []
        users = [
            threading.Thread(
                target=browse,
                args=(port, cookie, urls[email], random.Random(args.seed + n), stop, results),
            )
            for n, (email, cookie) in enumerate(cookies)
        ]
        load_before = loadavg()
        sampler.start()
        for user in users:
            user.start()
        # The first requests of a fresh worker fill its caches: only the connections count them.
        stop.wait(args.warmup)
        measured_from = time.perf_counter()
        stop.wait(args.duration)
        stop.set()
        for user in users:
            user.join()
        elapsed = time.perf_counter() - measured_from
        sampler.done.set()
        sampler.join()
    finally:
        stop.set()
        stop_server(process)
    measured = [r for r in results if r[0] >= measured_from]
    run = summarize(name, workers, elapsed, measured, sampler)
    run["warmup_requests"] = len(results) - len(measured)
    run["connections_after_stop"] = sampler.once()
    run["loadavg"] = [load_before, loadavg()]
    return run


def summarize(name, workers, elapsed, results, sampler):
    latencies = [ms for _, _, _, ms in results]
    statuses = Counter(str(status) for _, _, status, _ in results)
    errors = sum(n for status, n in statuses.items() if not status.isdigit() or int(status) >= 500)
    by_kind = {}
    for kind, _ in MIX:
        times = [ms for _, k, _, ms in results if k == kind]
        if times:
            by_kind[kind] = {
                "requests": len(times),
                "p50_ms": statistics.median(times),
                "p95_ms": percentile(times, 95),
            }
    connections = [s["connections"] for s in sampler.samples]
    return {
        "server": name,
        "workers": workers,
        "seconds": elapsed,
        "requests": len(results),
        "requests_per_s": len(results) / max(elapsed, 1e-6),
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p95_ms": percentile(latencies, 95) if latencies else None,
        "errors": errors,
        "statuses": dict(statuses),
        "by_kind": by_kind,
        "samples": sampler.samples,
        "max_connections": max(connections, default=0),
        "stopped_by_guard": sampler.tripped,
    }


# -- the report ----------------------------------------------------------------------------------


def budget(run):
    """At most one connection per worker, and no 5xx or failed request."""
    ok = run["max_connections"] <= run["workers"] and not run["errors"] and run["requests"]
    return "pass" if ok else "**FAIL**"


def render(report):
    lines = [
        f"# Serving benchmark, {report['date']}",
        "",
        f"Database `{report['db']}` ({report['orders']:,} orders, {report['commissions']:,} "
        f"commissions), {report['users']} users; per server {report['warmup']} s of warm-up, "
        f"then {report['duration']} s timed; connections sampled every {report['sample']} s "
        f"from the start; {report['cores']} cores shared by the server, PostgreSQL and this load "
        "generator. Requests/s and latencies cover the timed part only.",
        "",
        "| server | workers | requests/s | p50 | p95 | 5xx and failed | max connections "
        "| connections every sample | after stop | load average | budget |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["runs"]:
        if "skipped" in r:
            lines.append(f"| {r['server']} | skipped: {r['skipped']} |||||||||")
            continue
        series = " → ".join(str(s["connections"]) for s in r["samples"])
        guard = (
            f" (stopped at the guard after {r['samples'][-1]['t']:.0f} s)" * r["stopped_by_guard"]
        )
        p50, p95 = (f"{r[k]:.0f} ms" if r[k] is not None else "—" for k in ("p50_ms", "p95_ms"))
        lines.append(
            f"| {r['server']} | {r['workers']} | {r['requests_per_s']:.1f} "
            f"| {p50} | {p95} | {r['errors']} "
            f"| {r['max_connections']}{guard} | {series} | {r['connections_after_stop']} "
            f"| {r['loadavg'][0]}–{r['loadavg'][1]} | {budget(r)} |"
        )
    lines += ["", "| server | page kind | requests | p50 | p95 |", "|---|---|---|---|---|"]
    for r in report["runs"]:
        for kind, k in r.get("by_kind", {}).items():
            lines.append(
                f"| {r['server']} | {kind} | {k['requests']:,} | {k['p50_ms']:.0f} ms "
                f"| {k['p95_ms']:.0f} ms |"
            )
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database loaded by bench/run.py load")
    parser.add_argument("--servers", default="gunicorn", help=f"comma-separated: {SERVERS}")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load per server")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of load before timing")
    parser.add_argument("--sample", type=float, default=5, help="seconds between samples")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: the config's)")
    parser.add_argument("--guard", type=int, default=40, help="stop a run at this many conns")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if unknown := set(servers) - set(SERVERS):
        parser.error(f"unknown servers {sorted(unknown)}; choose from {SERVERS}")

    os.environ["SECRET_KEY"] = SECRET_KEY  # the sessions are checked against it
    setup_django(args.db)
    import logging

    from django.db import connection

    from commissions.models import Commission
    from orders.models import Order

    rng = random.Random(args.seed)
    cookies = sessions(args.users)
    urls = {email: urls_for(email, rng) for email in {email for email, _ in cookies}}
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "db": args.db,
        "orders": Order.objects.count(),
        "commissions": Commission.objects.count(),
        "users": args.users,
        "duration": args.duration,
        "warmup": args.warmup,
        "sample": args.sample,
        "cores": os.cpu_count(),
        "runs": [],
    }
    connection.close()  # only the servers' connections are counted
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in servers:
        report["runs"].append(run_server(name, args, cookies, urls))
    stem = RESULTS / f"serve-{dt.date.today().isoformat()}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str))
    text = render(report)
    print(text)
    stem.with_suffix(".md").write_text(text)
    log(f"written to {stem}.md and {stem}.json")


if __name__ == "__main__":
    main()

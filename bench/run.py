#!/usr/bin/env python
"""The performance budgets (docs/architecture.md#budgets) on PostgreSQL: list pages, dashboard
and the xlsx report.

    .venv/bin/python bench/run.py load --db portal_bench_10k --orders 10000
    .venv/bin/python bench/run.py load --db portal_bench_1m --orders 1000000
    .venv/bin/python bench/run.py all --small portal_bench_10k --large portal_bench_1m

`load` drops and recreates the database, migrates it and loads the orders and the commissions
(as many as the orders unless `--commissions N`; bench/load_orders.py).
`all` measures the pages on both databases and the export on the large one, each in its own
process, prints a Markdown report and writes it to bench/results/<date>.md (with the raw figures
in <date>.json). `lists`, `export` and `explain` run one part, and `deep` times deep pages
against page 1; see `--help`.

The server is PostgreSQL at $BENCH_PG (default postgres://postgres@127.0.0.1:5432); `--db` names
the database. Only databases whose name starts with "portal_bench" are ever dropped.
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
BUDGET_RATIO = 1.5
EXPORT_ROWS = (25_000, 50_000, 100_000)


def setup_django(db):
    """Points the settings at `db` and sets Django up; call before importing anything of it."""
    os.environ["DATABASE_URL"] = f"{PG}/{db}"
    os.environ["DEBUG"] = "0"  # DEBUG would keep every query in memory and slow everything
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def log(message):
    print(message, file=sys.stderr, flush=True)


def loadavg():
    return round(os.getloadavg()[0], 2)


def wait_for_quiet(threshold, max_wait):
    """Waits (up to max_wait s) for the 1-minute load average to fall below threshold."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] > threshold and time.monotonic() < deadline:
        time.sleep(5)
    return loadavg()


def percentile(values, pct):
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # nearest rank
    return ordered[int(rank) - 1]


# -- load -----------------------------------------------------------------------------------------


def recreate_database(db):
    import psycopg

    if not db.startswith("portal_bench"):
        sys.exit(f"refusing to drop {db!r}: bench databases start with 'portal_bench'")
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def cmd_load(args):
    started = time.perf_counter()
    recreate_database(args.db)
    setup_django(args.db)
    migrate()
    migrated = time.perf_counter()
    commissions = args.orders if args.commissions is None else args.commissions
    log(
        f"{args.db}: migrated in {migrated - started:.0f} s; loading {args.orders:,} orders "
        f"and {commissions:,} commissions …"
    )
    from bench.load_orders import Loader

    loader = Loader(args.orders, commissions=commissions, seed=args.seed, log=log)
    counts = loader.load()
    result = {
        "db": args.db,
        "orders": args.orders,
        "commissions": commissions,
        "counts": counts,
        "commission_statuses": loader.commission_statuses,
        "seconds": {"migrate": migrated - started, **loader.timings},
        "size": database_size(),
        "loadavg": loadavg(),
    }
    t = loader.timings
    log(
        f"{args.db}: {counts} in {t['total']:.0f} s (rows {t['write']:.0f} s: orders "
        f"{t['write_orders']:.0f} s, commissions {t['write_commissions']:.0f} s; OrderMonth "
        f"{t['refresh']:.0f} s, CommissionTotal {t['commission_totals']:.0f} s, VACUUM ANALYZE "
        f"{t['vacuum_analyze']:.0f} s); database {result['size']}"
    )
    log(f"{args.db}: commissions by status {loader.commission_statuses}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"load-{args.db}.json").write_text(json.dumps(result, indent=2))


def database_size():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return cursor.fetchone()[0]


# -- the pages ------------------------------------------------------------------------------------


def logged_in_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.load_orders import ADMIN_A

    # Not setup_test_environment(): its instrumented template rendering would be timed too.
    client = Client(SERVER_NAME="localhost")
    client.force_login(get_user_model().objects.get(email=ADMIN_A))
    return client


def page_cases():
    """(name, url) of every measured page; dates are counted back from today, and the customer
    and invoice looked up in the data, the same way at every size."""
    from django.utils import timezone

    from accounts.models import ResellerAccount
    from bench.load_orders import ADMIN_A

    today = timezone.localdate()
    days_90 = (today - dt.timedelta(days=90)).isoformat()
    account = ResellerAccount.objects.filter(reseller__collaborators__user__email=ADMIN_A).first()
    customer, invoice = commission_lookups(account.reseller_id, today)
    return [
        ("dashboard", "/"),
        ("list, no filter (Consolidado)", "/pedidos/"),
        ("list, invoiced in the last 90 days", f"/pedidos/?status=invoiced&created_from={days_90}"),
        ("list, one account, completed", f"/pedidos/?account={account.pk}&status=completed"),
        ("list, delivery in transit", "/pedidos/?delivery_status=in_transit"),
        ("list, page 50", "/pedidos/?page=50"),
        ("list, customer name contains", "/pedidos/?customer=hospital"),
        ("commissions, no filter", "/comissoes/"),
        ("commissions, released, one company", "/comissoes/?status=released&company=IMB"),
        ("commissions, overdue", "/comissoes/?overdue=true"),
        ("commissions, issued in the last 90 days", f"/comissoes/?issued_from={days_90}"),
        ("commissions, one customer CNPJ", f"/comissoes/?customer={customer}"),
        ("commissions, invoice no.", f"/comissoes/?invoice={invoice}"),
        ("commissions, page 50", "/comissoes/?page=50"),
    ]


def commission_lookups(reseller_id, today):
    """(customer CNPJ, invoice number) of reseller A for the commission filters.

    The customer is the middle one, by code, of those that have installments with the reseller:
    customers grow with the data, so it has about as many commissions at 10k as at 1M. The
    invoice is the first, by number, of those the reseller issued a year ago.
    """
    from django.db.models import Exists, OuterRef

    from commissions.models import Installment
    from orders.models import Customer

    mine = Installment.objects.filter(account__reseller_id=reseller_id)
    customers = Customer.objects.filter(Exists(mine.filter(customer=OuterRef("pk")))).order_by(
        "code"
    )
    customer = customers[customers.count() // 2]
    year_ago = today - dt.timedelta(days=365)
    invoice = (
        mine.filter(issue_date__lte=year_ago)
        .order_by("-issue_date", "invoice_number")
        .values_list("invoice_number", flat=True)
        .first()
    )
    if invoice is None:
        sys.exit("no commissions in this database: load it again (bench/run.py load)")
    return customer.cnpj, invoice


def use_database(db):
    """Points the default connection at another database of the same server."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = db


def migrate():
    """Brings a loaded database up to the code's migrations (the app moves on; the data stays)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def cmd_lists(args):
    """Times every page on each database, interleaved in blocks of `--block` requests so that
    both sizes see the same machine load; each database has its own logged-in client."""
    dbs = args.db.split(",")
    setup_django(dbs[0])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from commissions.models import Commission
    from orders.models import Order

    clients, results, urls = {}, {}, {}
    for db in dbs:
        use_database(db)
        migrate()
        clients[db] = logged_in_client()
        # Each database has its own URLs: the customer and invoice filters name rows of its own.
        cases = page_cases()
        names = [name for name, _ in cases]
        urls[db] = dict(cases)
        results[db] = {
            "db": db,
            "orders": Order.objects.count(),
            "commissions": Commission.objects.count(),
            "requests": args.requests,
            "warmup": args.warmup,
            "cases": [],
        }
    for name in names:
        before = wait_for_quiet(args.quiet, args.max_wait)
        times = {db: [] for db in dbs}
        for db in dbs:
            use_database(db)
            for _ in range(args.warmup):
                response = clients[db].get(urls[db][name])
                assert response.status_code == 200, (db, urls[db][name], response.status_code)
        while len(times[dbs[-1]]) < args.requests:
            for db in dbs:
                use_database(db)
                url = urls[db][name]
                clients[db].get(url)  # the first request after a reconnect is not timed
                for _ in range(args.block):
                    t0 = time.perf_counter()
                    clients[db].get(url)
                    times[db].append((time.perf_counter() - t0) * 1000)
        after = loadavg()
        for db in dbs:
            use_database(db)
            url = urls[db][name]
            with CaptureQueriesContext(connection) as queries:
                clients[db].get(url)
            slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
            case = {
                "name": name,
                "url": url,
                "median_ms": statistics.median(times[db]),
                "p95_ms": percentile(times[db], 95),
                "min_ms": min(times[db]),
                "queries": len(queries),
                "slowest_sql_ms": float(slowest["time"]) * 1000,
                "slowest_sql": slowest["sql"],
                "loadavg": [before, after],
            }
            results[db]["cases"].append(case)
            log(
                f"{db} {name}: median {case['median_ms']:.1f} ms, "
                f"p95 {case['p95_ms']:.1f} ms, {case['queries']} queries, load {case['loadavg']}"
            )
    write_json(args.out, [results[db] for db in dbs])


def write_json(path, data):
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str))
    else:
        print(json.dumps(data, indent=2, default=str))


def cmd_explain(args):
    """EXPLAIN (ANALYZE, BUFFERS) of every query a page runs, slowest first."""
    setup_django(args.db)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in_client()
    client.get(args.url)
    with CaptureQueriesContext(connection) as queries:
        client.get(args.url)
    with connection.cursor() as cursor:
        for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"])):
            sql = query["sql"]
            print(f"-- {float(query['time']) * 1000:.1f} ms\n{sql}")
            if sql.lstrip().upper().startswith("SELECT"):
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                print("\n".join(row[0] for row in cursor.fetchall()))
            print()


# -- deep pages -----------------------------------------------------------------------------------

DEEP_LISTS = (("orders", "/pedidos/"), ("commissions", "/comissoes/"))
DEEP_PER_PAGE = (10, 100)
DEEP_OFFSETS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)


def cmd_deep(args):
    """Times page 1 against pages that skip more and more rows (OFFSET), for each list and page
    size, up to the deepest page that portal.lists.MAX_OFFSET allows and past it.

    Pages past the cap are measured by lifting the cap in this process only. Each list and page
    size takes its pages in turns, in blocks of `--block` requests, so that page 1 and the deep
    pages see the same machine load.
    """
    setup_django(args.db)
    migrate()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal import lists

    cap = lists.MAX_OFFSET
    offsets = sorted({int(n) for n in args.offsets.split(",")})
    lists.MAX_OFFSET = max([cap, *offsets])  # serve the pages past the cap too, to measure them
    client = logged_in_client()
    cases = []
    for name, path in DEEP_LISTS:
        for per_page in (int(n) for n in args.per_page.split(",")):
            deepest = cap // per_page * per_page
            depths = sorted({0, deepest, *(n // per_page * per_page for n in offsets)})
            urls = {d: f"{path}?per_page={per_page}&page={d // per_page + 1}" for d in depths}
            wait_for_quiet(args.quiet, args.max_wait)
            for url in urls.values():
                for _ in range(args.warmup):
                    response = client.get(url)
                    html = response.content.decode()
                    # Served as asked: no "page does not exist" or "too deep", a full page.
                    assert response.status_code == 200, (url, response.status_code)
                    assert "alert-danger" not in html, url
                    assert html.count('<tr class="') == per_page, url
            times = {d: [] for d in depths}
            load = [loadavg()]
            while len(times[depths[-1]]) < args.requests:
                for depth, url in urls.items():
                    for _ in range(args.block):
                        t0 = time.perf_counter()
                        client.get(url)
                        times[depth].append((time.perf_counter() - t0) * 1000)
            load.append(loadavg())
            first = statistics.median(times[0])
            for depth, url in urls.items():
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
                case = {
                    "list": name,
                    "per_page": per_page,
                    "page": depth // per_page + 1,
                    "offset": depth,
                    "allowed": depth <= cap,
                    "deepest_allowed": depth == deepest,
                    "url": url,
                    "median_ms": statistics.median(times[depth]),
                    "p95_ms": percentile(times[depth], 95),
                    "ratio": statistics.median(times[depth]) / first,
                    "queries": len(queries),
                    "slowest_sql_ms": float(slowest["time"]) * 1000,
                    "loadavg": load,
                }
                cases.append(case)
                log(
                    f"{name}, {per_page} per page, page {case['page']:,} (skips {depth:,}): "
                    f"median {case['median_ms']:.1f} ms, {case['ratio']:.2f}× page 1, slowest SQL "
                    f"{case['slowest_sql_ms']:.1f} ms, {case['queries']} queries"
                )
    from commissions.models import Commission
    from orders.models import Order

    result = {
        "db": args.db,
        "orders": Order.objects.count(),
        "commissions": Commission.objects.count(),
        "max_offset": cap,
        "requests": args.requests,
        "cases": cases,
    }
    print(render_deep(result))
    write_json(args.out, result)


def render_deep(result):
    lines = [
        f"Deep pages on `{result['db']}` ({result['orders']:,} orders, "
        f"{result['commissions']:,} commissions); MAX_OFFSET = {result['max_offset']:,}; median "
        f"of {result['requests']} requests per page; budget: the deepest allowed page ≤ "
        f"{BUDGET_RATIO}× page 1.",
        "",
        "| list | per page | page | rows skipped | median | p95 | × page 1 | slowest SQL "
        "| queries | served |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result["cases"]:
        if c["deepest_allowed"]:
            served = f"deepest allowed: {verdict(c['ratio'] <= BUDGET_RATIO)}"
        else:
            served = "yes" if c["allowed"] else "no: past the cap"
        lines.append(
            f"| {c['list']} | {c['per_page']} | {c['page']:,} | {c['offset']:,} "
            f"| {c['median_ms']:.1f} ms | {c['p95_ms']:.1f} ms | {c['ratio']:.2f} "
            f"| {c['slowest_sql_ms']:.1f} ms | {c['queries']} | {served} |"
        )
    return "\n".join(lines) + "\n"


# -- the xlsx report ------------------------------------------------------------------------------


def export_dates(targets):
    """{target: (created_from, rows)}: the day from which reseller A has about `target` orders."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from bench.load_orders import ADMIN_A
    from orders.models import Order

    per_day = (
        Order.objects.filter(account__reseller__collaborators__user__email=ADMIN_A)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("-day")
    )
    found, total = {}, 0
    pending = sorted(targets)
    for row in per_day:
        total += row["n"]
        while pending and total >= pending[0]:
            found[pending.pop(0)] = (row["day"].isoformat(), total)
    if pending:
        sys.exit(f"not enough orders for an export of {pending[0]:,} rows")
    return found


def export_request(created_from):
    return f"/pedidos/?created_from={created_from}&export=xlsx"


def rss_kb(field="VmRSS"):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss():
    # Writing 5 resets the process's peak resident set size (VmHWM), Linux ≥ 4.0.
    Path("/proc/self/clear_refs").write_text("5")


def fetch_typed_rows(created_from):
    """The report's rows for `created_from`, as the final cell values, in a list.

    They come from the list view's own export queryset (same filter, same order), so the raw
    baseline writes exactly what the portal writes; only writing is then timed.
    """
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory
    from django.utils import timezone

    from bench.load_orders import ADMIN_A
    from orders.tables import OrderTable
    from orders.views import OrderListView

    request = RequestFactory().get("/pedidos/", {"created_from": created_from})
    request.user = get_user_model().objects.select_related("collaborator").get(email=ADMIN_A)
    request.collaborator = request.user.collaborator
    view = OrderListView()
    view.setup(request)
    queryset = view.state().export_queryset()
    columns = OrderTable.export_columns
    rows = []
    for values in queryset.values_list(*(c.path for c in columns)).iterator(chunk_size=2000):
        row = []
        for column, value in zip(columns, values, strict=True):
            if value is None:
                pass
            elif column.kind == "datetime":
                value = timezone.localtime(value).replace(tzinfo=None)
            elif column.kind == "choice":
                value = str(column.choices.get(value, value))
            elif column.kind == "text":
                value = str(value)
            row.append(value)
        rows.append(row)
    return columns, rows


def write_raw(stream, columns, rows):
    """Plain openpyxl write-only: the same header, cells, types and number formats."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from portal.xlsx import DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT

    formats = {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "money": MONEY_FORMAT}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet)
        if column.kind in formats:
            cell.number_format = formats[column.kind]
        cells.append(cell)
    for row in rows:
        for cell, value in zip(cells, row, strict=True):
            cell.value = value
        sheet.append(cells)
    workbook.save(stream)


def cmd_export_one(args):
    """Export measurements for one row count, in a fresh process so peak RSS is its own.

    `--mode timed`: the rows for the raw baseline are fetched into a list first, then portal and
    raw runs alternate, so both see the same machine load. `--mode memory`: the portal alone,
    once for peak RSS and once under tracemalloc (which slows Python down, so is never timed).
    """
    import tempfile
    import tracemalloc

    setup_django(args.db)
    from django.utils import timezone

    client = logged_in_client()
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    # Warm up on a small report: imports, templates, translations, the connection.
    consume(client.get(export_request(yesterday)))
    columns, small = fetch_typed_rows(yesterday)
    with tempfile.TemporaryFile() as stream:
        write_raw(stream, columns, small)
    del small

    def portal():
        response = client.get(export_request(args.created_from))
        assert response.status_code == 200, response.status_code
        return consume(response)

    def raw():
        with tempfile.TemporaryFile() as stream:
            write_raw(stream, columns, rows)
            return stream.tell()

    def measure(mode, work, trace=False):
        load_before = loadavg()
        rss_before = rss_kb()
        reset_peak_rss()
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        size = work()
        seconds = time.perf_counter() - t0
        traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
        tracemalloc.stop()
        run = {
            "mode": mode,
            "seconds": seconds,
            "bytes": size,
            "rss_peak_delta_kb": rss_kb("VmHWM") - rss_before,
            "traced_peak_bytes": traced_peak,
            "loadavg": [load_before, loadavg()],
        }
        log(
            f"  {mode} from {args.created_from}: {seconds:.2f} s, {size:,} bytes, "
            f"RSS +{run['rss_peak_delta_kb'] / 1024:.1f} MiB"
            + (f", tracemalloc peak {traced_peak / 2**20:.1f} MiB" if trace else "")
        )
        return run

    runs, fetch_seconds = [], None
    if args.mode == "timed":
        t0 = time.perf_counter()
        columns, rows = fetch_typed_rows(args.created_from)
        fetch_seconds = time.perf_counter() - t0
        for _ in range(args.repeat):
            wait_for_quiet(args.quiet, args.max_wait)
            runs.append(measure("portal", portal))
            runs.append(measure("raw", raw))
    else:
        wait_for_quiet(args.quiet, args.max_wait)
        runs.append(measure("portal", portal))
        runs.append(measure("portal", portal, trace=True))
    write_json(args.out, {"runs": runs, "fetch_seconds": fetch_seconds})


def consume(response):
    size = 0
    for block in response.streaming_content:
        size += len(block)
    response.close()
    return size


def run_child(argv):
    """Runs this script with `argv` in a fresh process and returns its JSON."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [sys.executable, __file__, *argv, "--out", out.name], check=True, cwd=str(ROOT)
        )
        return json.loads(Path(out.name).read_text())


def cmd_export(args):
    setup_django(args.db)
    migrate()
    from orders.models import Order

    targets = [int(n) for n in args.rows.split(",")]
    dates = export_dates(targets)
    results = {"db": args.db, "orders": Order.objects.count(), "sizes": []}
    common = ["--db", args.db, "--quiet", str(args.quiet), "--max-wait", str(args.max_wait)]
    for target in targets:
        created_from, rows = dates[target]
        log(f"export of {rows:,} rows (created from {created_from}) …")
        one = ["export-one", *common, "--created-from", created_from]
        timed = run_child([*one, "--mode", "timed", "--repeat", str(args.repeat)])
        memory = run_child([*one, "--mode", "memory"])
        entry = {"target": target, "rows": rows, "created_from": created_from}
        for mode in ("portal", "raw"):
            runs = [r for r in timed["runs"] if r["mode"] == mode]
            entry[mode] = {
                "median_s": statistics.median(r["seconds"] for r in runs),
                "runs_s": [r["seconds"] for r in runs],
                "bytes": runs[0]["bytes"],
                "rss_peak_delta_mib": max(r["rss_peak_delta_kb"] for r in runs) / 1024,
                "loadavg": [r["loadavg"] for r in runs],
            }
        untraced, traced = memory["runs"]
        entry["portal"]["rss_peak_delta_mib"] = untraced["rss_peak_delta_kb"] / 1024
        entry["portal"]["traced_peak_mib"] = traced["traced_peak_bytes"] / 2**20
        entry["fetch_s"] = timed["fetch_seconds"]
        entry["ratio"] = entry["portal"]["median_s"] / entry["raw"]["median_s"]
        results["sizes"].append(entry)
    if args.check:
        results["same_cells"] = same_cells(dates[min(targets)][0])
    write_json(args.out, results)


def same_cells(created_from):
    """Checks that the portal's report and the raw baseline hold the same cells and formats."""
    import io

    from openpyxl import load_workbook

    client = logged_in_client()
    response = client.get(export_request(created_from))
    portal = io.BytesIO(b"".join(response.streaming_content))
    columns, rows = fetch_typed_rows(created_from)
    raw = io.BytesIO()
    write_raw(raw, columns, rows)
    sheets = [load_workbook(f, read_only=True).active for f in (portal, raw)]
    pairs = zip(*(s.iter_rows() for s in sheets), strict=True)
    for n, (a, b) in enumerate(pairs):
        left = [(c.value, c.data_type, c.number_format) for c in a]
        right = [(c.value, c.data_type, c.number_format) for c in b]
        if left != right:
            return f"row {n + 1} differs: {left} != {right}"
    return f"yes ({len(rows):,} rows compared cell by cell: value, type, number format)"


# -- everything, and the report -------------------------------------------------------------------


def cmd_all(args):
    started = time.perf_counter()
    common = ["--quiet", str(args.quiet), "--max-wait", str(args.max_wait)]
    results = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
    }
    results["small"], results["large"] = run_child(
        ["lists", "--db", f"{args.small},{args.large}", "--requests", str(args.requests), *common]
    )
    if not args.skip_export:
        results["export"] = run_child(
            ["export", "--db", args.large, "--rows", args.rows, "--repeat", str(args.repeat)]
            + ["--check", *common]
        )
    for name in ("small", "large"):
        load = RESULTS / f"load-{results[name]['db']}.json"
        if load.exists():
            results[name]["load"] = json.loads(load.read_text())
    results["seconds"] = time.perf_counter() - started
    report = render(results)
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / dt.date.today().isoformat()
    stem.with_suffix(".md").write_text(report)
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str))
    log(f"written to {stem}.md and {stem}.json")


def machine():
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import psycopg

    with psycopg.connect(f"{PG}/postgres") as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        shared = conn.execute("SHOW shared_buffers").fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "postgresql": f"{server} (shared_buffers {shared})",
    }


def verdict(ok):
    return "pass" if ok else "**FAIL**"


def render(results):
    small, large = results["small"], results["large"]
    m = results["machine"]
    lines = [
        f"# Benchmark, {results['date']}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"PostgreSQL {m['postgresql']}.",
        "",
        f"## Pages: server time, {small['orders']:,} vs {large['orders']:,} orders, "
        f"{small.get('commissions', 0):,} vs {large.get('commissions', 0):,} commissions",
        "",
        "Django test client logged in as reseller A's admin (Consolidado: all three accounts), "
        f"{small['warmup']} warm-up requests, then the median and p95 of "
        f"{small['requests']} requests, the two databases taking turns in blocks of 5 requests "
        f"so that both see the same machine load; budget: large/small ≤ {BUDGET_RATIO} "
        "(median), and the same number of queries.",
        "",
        "| page | queries (small / large) | median small | median large | p95 small | p95 large "
        "| ratio (median) | budget |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a, b in zip(small["cases"], large["cases"], strict=True):
        ratio = b["median_ms"] / a["median_ms"]
        lines.append(
            f"| {a['name']} | {a['queries']} / {b['queries']} | {a['median_ms']:.1f} ms "
            f"| {b['median_ms']:.1f} ms | {a['p95_ms']:.1f} ms | {b['p95_ms']:.1f} ms "
            f"| {ratio:.2f} | {verdict(ratio <= BUDGET_RATIO and a['queries'] == b['queries'])} |"
        )
    lines += ["", "| page | URL | slowest SQL statement (small / large) | load average |"]
    lines += ["|---|---|---|---|"]
    for a, b in zip(small["cases"], large["cases"], strict=True):
        # The customer and invoice filters name a row of each database: show both URLs.
        url = f"`{a['url']}`" if a["url"] == b["url"] else f"`{a['url']}` / `{b['url']}`"
        lines.append(
            f"| {a['name']} | {url} | {a['slowest_sql_ms']:.0f} ms / "
            f"{b['slowest_sql_ms']:.0f} ms | {b['loadavg'][0]}–{b['loadavg'][1]} |"
        )
    export = results.get("export")
    if export:
        lines += [
            "",
            f"## XLSX report on {export['orders']:,} orders",
            "",
            "`/pedidos/?created_from=<day>&export=xlsx` through the test client, the streamed "
            "response read to the end, against plain openpyxl write-only writing the same rows "
            "(same header, cell types and number formats) from a list fetched in advance, so only "
            "writing is timed. Time: median of the runs. Memory: peak RSS growth during the run, "
            "each measurement in a fresh process, and tracemalloc's peak in a separate run "
            "(tracemalloc slows Python down, so it is never timed). Budget: portal ≤ "
            f"{BUDGET_RATIO} × raw, and memory flat as the rows grow.",
            "",
            "| rows | portal | raw openpyxl | ratio | budget | rows fetched into a list "
            "| portal RSS peak | portal tracemalloc peak | raw RSS peak (writing) | file |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for size in export["sizes"]:
            p, r = size["portal"], size["raw"]
            lines.append(
                f"| {size['rows']:,} | {p['median_s']:.2f} s | {r['median_s']:.2f} s "
                f"| {size['ratio']:.2f} | {verdict(size['ratio'] <= BUDGET_RATIO)} "
                f"| {size['fetch_s']:.2f} s | +{p['rss_peak_delta_mib']:.1f} MiB "
                f"| {p['traced_peak_mib']:.1f} MiB | +{r['rss_peak_delta_mib']:.1f} MiB "
                f"| {p['bytes'] / 2**20:.1f} MiB |"
            )
        if "same_cells" in export:
            lines += ["", f"Same cells in both files: {export['same_cells']}."]
    loads = [x["load"] for x in (small, large) if "load" in x]
    if loads:
        lines += ["", "## Load", "", "| database | orders | invoices | deliveries | customers "
                  "| commissions | time | size |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for load in loads:
            c, s = load["counts"], load["seconds"]
            if "write_commissions" in s:
                rows = (
                    f"rows {s['write']:.0f} s: orders {s['write_orders']:.0f} s, commissions "
                    f"{s['write_commissions']:.0f} s; OrderMonth {s['refresh']:.0f} s, "
                    f"CommissionTotal {s['commission_totals']:.0f} s"
                )
            else:  # loaded before the commissions were
                rows = f"rows {s['write']:.0f} s, OrderMonth {s['refresh']:.0f} s"
            lines.append(
                f"| {load['db']} | {c['orders']:,} | {c['invoices']:,} | {c['deliveries']:,} "
                f"| {c['customers']:,} | {c.get('commissions', 0):,} "
                f"| {s['migrate'] + s['total']:.0f} s ({rows}, VACUUM ANALYZE "
                f"{s['vacuum_analyze']:.0f} s) | {load['size']} |"
            )
    lines += ["", f"Whole run: {results['seconds'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def cmd_render(args):
    print(render(json.loads(Path(args.json).read_text())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def quiet_options(p):
        p.add_argument("--quiet", type=float, default=1.5, help="wait for load average below")
        p.add_argument("--max-wait", type=int, default=30, help="seconds to wait for quiet")
        p.add_argument("--out", help="write the JSON here instead of stdout")

    p = sub.add_parser("load", help="recreate a database and load N orders and commissions")
    p.add_argument("--db", required=True)
    p.add_argument("--orders", type=int, required=True)
    p.add_argument(
        "--commissions", type=int, help="installments and commissions (default: as many as orders)"
    )
    p.add_argument("--seed", type=int, default=20260601)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("lists", help="time the list pages and the dashboard")
    p.add_argument("--db", required=True, help="one database, or several separated by commas")
    p.add_argument("--requests", type=int, default=30, help="timed requests per page")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--block", type=int, default=5, help="requests in a row on one database")
    quiet_options(p)
    p.set_defaults(func=cmd_lists)

    p = sub.add_parser("deep", help="time page 1 against deep pages, up to the cap and past it")
    p.add_argument("--db", required=True)
    p.add_argument("--offsets", default=",".join(str(n) for n in DEEP_OFFSETS))
    p.add_argument("--per-page", default=",".join(str(n) for n in DEEP_PER_PAGE))
    p.add_argument("--requests", type=int, default=20, help="timed requests per page")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--block", type=int, default=2, help="requests in a row on one page")
    quiet_options(p)
    p.set_defaults(func=cmd_deep)

    p = sub.add_parser("explain", help="EXPLAIN ANALYZE every query of one page")
    p.add_argument("--db", required=True)
    p.add_argument("url")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("export", help="time the xlsx report against raw openpyxl")
    p.add_argument("--db", required=True)
    p.add_argument("--rows", default=",".join(str(n) for n in EXPORT_ROWS))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--check", action="store_true", help="compare both files cell by cell")
    quiet_options(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("export-one", help=argparse.SUPPRESS)
    p.add_argument("--db", required=True)
    p.add_argument("--created-from", required=True)
    p.add_argument("--mode", choices=("timed", "memory"), required=True)
    p.add_argument("--repeat", type=int, default=3)
    quiet_options(p)
    p.set_defaults(func=cmd_export_one)

    p = sub.add_parser("all", help="pages on both databases, the report on the large one")
    p.add_argument("--small", required=True)
    p.add_argument("--large", required=True)
    p.add_argument("--requests", type=int, default=30)
    p.add_argument("--rows", default=",".join(str(n) for n in EXPORT_ROWS))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip-export", action="store_true")
    quiet_options(p)
    p.set_defaults(func=cmd_all)

    p = sub.add_parser("render", help="print the report of a results JSON")
    p.add_argument("json")
    p.set_defaults(func=cmd_render)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

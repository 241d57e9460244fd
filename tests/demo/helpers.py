"""`manage.py demo_data` as the demo tests run it: a fixed day and a small data set."""

import io

from django.core.management import call_command

TODAY = "2026-03-16"
PASSWORD = "demo1234"
STAFF = "staff@distribuidora.example"


def demo_data(*args, orders=60):
    out = io.StringIO()
    call_command(
        "demo_data",
        "--orders",
        str(orders),
        "--today",
        TODAY,
        "--i-know-this-is-not-production",
        *args,
        stdout=out,
    )
    return out.getvalue()

"""`manage.py demo_data` as the demo tests run it: a fixed day and a small data set."""

import io
import itertools
import re

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


def nfe_check_digit(digits43):
    # The NF-e manual's modulo 11, weights 2 to 9 from the right.
    weights = itertools.cycle(range(2, 10))
    total = sum(int(d) * w for d, w in zip(reversed(digits43), weights, strict=False))
    return 0 if total % 11 < 2 else 11 - total % 11


def assert_valid_pdf(data, text):
    assert data.startswith(b"%PDF-1.4\n") and data.rstrip().endswith(b"%%EOF")
    xref_at = int(re.search(rb"startxref\n(\d+)\n", data).group(1))
    assert data[xref_at:].startswith(b"xref\n")
    offsets = re.findall(rb"(\d{10}) 00000 n ", data[xref_at:])
    for number, offset in enumerate(offsets, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number)
    stream = re.search(rb"<< /Length (\d+) >>\nstream\n", data)
    length = int(stream.group(1))
    assert data[stream.end() + length :].startswith(b"\nendstream")
    assert text.encode() in data

"""The customer-name search has a trigram index on PostgreSQL (orders migration 0005)."""

import pytest
from django.conf import settings
from django.db import connection

from orders.models import Customer


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="the trigram index is PostgreSQL's (pg_trgm); SQLite has none",
)
@pytest.mark.django_db
def test_the_customer_name_search_can_use_the_trigram_index():
    sql, params = Customer.objects.filter(name__icontains="hospital").query.sql_with_params()
    with connection.cursor() as cursor:
        # The test table is nearly empty, so a plain scan would win. Without sequential scans,
        # and without plain index scans (which would walk the name's b-tree whole, filtering),
        # only an index that can answer Django's UPPER(name::text) LIKE UPPER('%…%') is left.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "orders_customer_name_trgm" in plan, plan

"""A trigram index for the customer-name search of Status de pedidos, on PostgreSQL only.

The filter is `customer__name__icontains`, which Django writes as UPPER(name::text) LIKE
UPPER('%…%'). Without this index PostgreSQL scans every customer and, misjudging how many
match, sorts all their orders: 0.8 s at 1,000,000 orders (bench/README.md). pg_trgm is a trusted
extension, so the database's owner may create it. SQLite has no such index and needs none.
"""

from django.db import migrations

INDEX = "orders_customer_name_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON orders_customer "
        'USING gin ((UPPER("name"::text)) gin_trgm_ops)'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_order_delivery_status")]

    operations = [migrations.RunPython(create_index, drop_index)]

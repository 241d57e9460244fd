"""Counters kept beside the rows they count, so that a page reads a few rollup rows instead of
scanning a large table: OrderMonth, CommissionMonth and CommissionTotal.

A rollup has a unique key (say account, month and status) and numeric columns; `bump` adds to
one row's columns, creating the row when it is missing. Each rollup also has a `refresh` that
recounts it from its source after bulk writes, which skip the models' own hooks.
"""

from django.db import IntegrityError, transaction
from django.db.models import F


def bump(queryset, key, **deltas):
    """Adds `deltas` ({column: amount}) to the rollup row `key`, creating it if missing.

    The UPDATE adds in the database, so two transactions bumping the same row both count. When
    two create the same missing row at once, the unique key refuses the second, which then adds
    to the row the first created.
    """
    increments = {column: F(column) + amount for column, amount in deltas.items()}
    if queryset.filter(**key).update(**increments):
        return
    try:
        with transaction.atomic():
            queryset.create(**key, **deltas)
    except IntegrityError:
        queryset.filter(**key).update(**increments)

"""Data derived from other rows and kept beside them, so that a page reads a few rows instead of
scanning or joining a large table: counters (OrderMonth, CommissionMonth, CommissionTotal) and
copies of another row's fields (Order.delivery_status, a commission's installment dates).

Each derived fact is kept by one owner (the rollup's queryset, or the copying model's), and every
way of writing its source calls that owner explicitly:

- save(), delete() and transitions move a counter by the one row's difference (`bump`), read under
  a row lock (`stored`) so that two writers of one row at once each move their own;
- the source's queryset (a `SourceQuerySet`) recounts what update() and delete() touched, in the
  same transaction, and refuses to write a copy directly; bulk_create() counts in what it inserts;
- each rollup's `refresh(account_ids)` recounts it from scratch: what bulk loads call when they are
  done, and the repair after writes that skip the models altogether (SQL, fixtures).
"""

import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

# How many keys go in one `IN (...)` list: well under SQLite's limit on query parameters.
BATCH = 500


class CopiedFieldWrite(Exception):
    """A bulk write of a field that copies another row's, or of a source that an upsert would
    change behind its counters' back: refused, since it would leave derived data out of step."""


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


def bump_many(queryset, rows):
    """`bump` for many rows at once: `rows` is [(key, {column: amount})], each key a dict of the
    same fields. Few queries per batch: the existing rows are locked, then added to by one UPDATE
    per distinct set of amounts, and the missing ones created by one INSERT. Should another
    transaction create one of those meanwhile, the INSERT is refused and each missing row is
    bumped alone.
    """
    for batch in batches(rows):
        names = list(batch[0][0])
        keys = {tuple(key[name] for name in names) for key, _deltas in batch}
        # Every row whose key fields are among those wanted: a superset, matched here.
        candidates = queryset.select_for_update().filter(
            **{f"{name}__in": {key[i] for key in keys} for i, name in enumerate(names)}
        )
        found = {
            key: pk
            for pk, *values in candidates.order_by("pk").values_list("pk", *names)
            if (key := tuple(values)) in keys
        }
        here = [
            (found.get(tuple(key[name] for name in names)), key, deltas) for key, deltas in batch
        ]
        # One UPDATE per distinct set of amounts: counts of new rows repeat (one, two...).
        by_amounts = defaultdict(list)
        for pk, _key, deltas in here:
            if pk is not None:
                by_amounts[tuple(deltas.items())].append(pk)
        for amounts, pks in by_amounts.items():
            queryset.filter(pk__in=pks).update(
                **{column: F(column) + amount for column, amount in amounts}
            )
        missing = [(key, deltas) for pk, key, deltas in here if pk is None]
        if not missing:
            continue
        try:
            with transaction.atomic():
                queryset.bulk_create(queryset.model(**key, **deltas) for key, deltas in missing)
        except IntegrityError:
            for key, deltas in missing:
                bump(queryset, key, **deltas)


def month_of(moment):
    """The first day of the month of `moment`, in the portal's time zone."""
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        moment = moment.date()
    return moment.replace(day=1)


def batches(values, size=BATCH):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def attnames(model, names):
    """The column attribute names (account_id, not account) of `names`."""
    return {model._meta.get_field(name).attname for name in names}


def written(instance, fields, update_fields):
    """The attnames among `fields` that save(update_fields=update_fields) writes."""
    if update_fields is None:
        return set(fields)
    return set(fields) & attnames(type(instance), update_fields)


def stored(instance, fields):
    """{attname: value} of the row as stored, read under a row lock; None if there is no such row.

    A save or delete that moves counters by the row's difference reads it this way, so that a
    second writer of the same row waits for the first and then sees its result.
    """
    if instance.pk is None:
        return None
    rows = type(instance)._base_manager.select_for_update().filter(pk=instance.pk)
    return rows.values(*fields).first()


class RowWrite:
    """One save() of a row, as the data derived from `fields` (attnames) sees it: which of them
    it writes, and their stored values before it and after it.

    False when the save writes none of them to an existing row: then nothing derived moves, and
    the save costs its one query.
    """

    def __init__(self, instance, fields, update_fields):
        self.instance, self.fields = instance, tuple(fields)
        self.adding = instance._state.adding
        self.writes = written(instance, self.fields, update_fields)
        self.before = None

    def __bool__(self):
        return self.adding or bool(self.writes)

    def lock(self, *extra):
        """Reads the stored values (and `extra` fields) under a row lock, inside the save's
        transaction; None for a new row."""
        if not self.adding:
            self.before = stored(self.instance, [*self.fields, *extra])
        return self.before

    def after(self):
        """The values stored once the save is done."""
        if self.before is None:
            return {name: getattr(self.instance, name) for name in self.fields}
        mine = {name: getattr(self.instance, name) for name in self.writes}
        return {**{name: self.before[name] for name in self.fields}, **mine}


class Scope:
    """The values of one column (the account, say) over the rows of a queryset, read before a
    bulk write, and again after it when the write changes that column."""

    def __init__(self, queryset, field, names=None):
        self.model, self.field = queryset.model, field
        self.before = set(queryset.order_by().values_list(field, flat=True).distinct())
        self.pks = None
        if names is not None and field in names:
            self.pks = list(queryset.order_by().values_list("pk", flat=True))

    def after(self):
        """The values before the write and those the rows have now."""
        values = set(self.before)
        for pks in batches(self.pks or ()):
            rows = self.model._base_manager.filter(pk__in=pks).order_by()
            values.update(rows.values_list(self.field, flat=True).distinct())
        values.discard(None)
        return values


class SourceQuerySet(models.QuerySet):
    """A queryset of rows that other data is derived from. Its bulk writes keep that data in
    step, or refuse:

    - update() refuses to write a field of `copies`: a copy is written through its source, and
      the message says how;
    - update() of a field of `sources`, and delete(), recount what the rows feed, in the same
      transaction: `_touched(names)` reads that before the write (the rows' accounts, say; names
      is None for a delete) and `_recount(touched, names)` brings it in step after. bulk_update()
      goes through update(), batch by batch;
    - bulk_create() calls `_creating(objs)` before inserting (to fill in copies) and
      `_created(objs, exact)` after, in the same transaction, to count the new rows in (exact is
      False when a conflict may have skipped or updated some). An upsert that rewrites a source is
      refused: the values it overwrites are not known.
    """

    copies = {}  # {attname: how to write it}
    sources = frozenset()

    def _touched(self, names):
        return None

    def _recount(self, touched, names):
        pass

    def _creating(self, objs):
        pass

    def _created(self, objs, exact):
        pass

    def update(self, **values):
        names = attnames(self.model, values)
        self._refuse_copies(names)
        if not names & self.sources:
            return super().update(**values)
        with transaction.atomic(using=self.db):
            touched = self._touched(names)
            count = super().update(**values)
            self._recount(touched, names)
        return count

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        # Refused before the write begins: inside it, the error would spoil the transaction.
        self._refuse_copies(attnames(self.model, fields))
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True

    def delete(self):
        with transaction.atomic(using=self.db):
            touched = self._touched(None)
            deleted = super().delete()
            self._recount(touched, None)
        return deleted

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_create(
        self,
        objs,
        batch_size=None,
        ignore_conflicts=False,
        update_conflicts=False,
        update_fields=None,
        unique_fields=None,
    ):
        objs = list(objs)
        if update_conflicts and (
            rewritten := attnames(self.model, update_fields or ())
            & (self.sources | self.copies.keys())
        ):
            raise CopiedFieldWrite(
                f"An upsert of {self.model._meta.label} may not rewrite {sorted(rewritten)}: "
                "what derived data counted for the rows it overwrites is lost. Use update()."
            )
        self._creating(objs)
        with transaction.atomic(using=self.db):
            made = super().bulk_create(
                objs,
                batch_size=batch_size,
                ignore_conflicts=ignore_conflicts,
                update_conflicts=update_conflicts,
                update_fields=update_fields,
                unique_fields=unique_fields,
            )
            # A row that already existed is counted already: what was inserted is known only
            # without conflicts.
            self._created(objs, exact=not (ignore_conflicts or update_conflicts))
        return made

    bulk_create.alters_data = True

    def _refuse_copies(self, names):
        if refused := sorted(names & self.copies.keys()):
            raise CopiedFieldWrite(" ".join(str(self.copies[name]) for name in refused))

    def _write_copies(self, **values):
        """update() for the owner of the copies, the one writer allowed to set them."""
        return super().update(**values)

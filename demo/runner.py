"""Runs the demo steps of `settings.DEMO_STEPS`, in order, in one transaction.

Each area app builds its own part of the data set (`<app>/demo.py`); a step reads what earlier
steps made from the shared context (`portal.demokit.Context`), never from a later app.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.demo import real_users
from portal.demokit import Context

DEFAULT_SEED = 20260601
DEFAULT_ORDERS = 3000


@dataclass(frozen=True)
class Loaded:
    counts: dict | None  # None: the data set was there already; only the logins were reset
    real_users: int  # users the demo did not create; with any, there is no demo staff login
    staff_disabled: bool  # an earlier demo staff user lost the demo password


def demo_steps():
    return [import_string(path) for path in settings.DEMO_STEPS]


def load(*, rebuild=False, orders=DEFAULT_ORDERS, seed=DEFAULT_SEED, today=None, files=True):
    """Builds the demo data set, or only resets the logins when it is there already."""
    steps = demo_steps()
    with transaction.atomic():
        ctx = Context(seed=seed, size=orders, today=today, files=files)
        # Counted first: the wipe deletes the users of resellers that carry the demo's codes.
        ctx.real_users = real_users().count()
        ctx.staff_disabled = False  # accounts/demo.py says when an earlier staff login lost it
        if not rebuild and all(step.present(ctx) for step in steps):
            for step in steps:
                step.reset(ctx)
            counts = None
        else:
            for step in reversed(steps):
                step.wipe(ctx)
            for step in steps:
                step.build(ctx)
            ctx.counts["status changes"] = ctx.history.written
            counts = ctx.counts
    return Loaded(counts, ctx.real_users, ctx.staff_disabled)

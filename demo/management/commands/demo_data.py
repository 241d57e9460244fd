import datetime as dt
import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import demo as accounts_demo
from demo import runner
from portal.demokit import DemoError


class Command(BaseCommand):
    help = (
        "Loads the demo data set: two resellers (A with three accounts), thousands of orders in "
        "every status with invoices and their PDF and XML files, installments and commissions "
        "of the three companies in every status, and the demo logins in the local e-commerce "
        "store. The data is deterministic: the same seed on the same day gives the same data, "
        "with dates counted back from today. Safe to run again: when the demo data is already "
        "there, it is left alone and only the demo logins are reset (password demo1234, "
        "pedidos@ back to only the orders module, novo@ back to never having logged in, the "
        "admins back to admin). --rebuild deletes the demo resellers with everything under "
        "them, and their files, and builds them again. It runs only with DEBUG=1 or "
        "--i-know-this-is-not-production, and never creates the staff login on a database "
        "that has users the demo did not create."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Delete the demo data and build it again, even when it is already there.",
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=runner.DEFAULT_ORDERS,
            help="Orders of reseller A; reseller B gets an eighth as many (default %(default)s).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=runner.DEFAULT_SEED,
            help="Random seed (default %(default)s).",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="Build as if today were this date (YYYY-MM-DD), to reproduce a day's data set.",
        )
        parser.add_argument(
            "--no-files",
            action="store_true",
            help="Do not write the invoice PDF and XML files.",
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Run without DEBUG=1, on a database you know is not a production one.",
        )

    def handle(self, *args, rebuild, orders, seed, today, no_files, not_production, **options):
        if not (settings.DEBUG or not_production):
            raise CommandError(
                "Refusing to load the demo data: DEBUG is off, so this may be production. The "
                "demo writes logins whose password is published (demo1234) and thousands of "
                "made-up orders. Run it with DEBUG=1, as `make demo` does, or add "
                "--i-know-this-is-not-production on a database you know is not a real one."
            )
        if orders < 1:
            raise CommandError("--orders must be positive.")
        started = time.monotonic()
        try:
            loaded = runner.load(
                rebuild=rebuild, orders=orders, seed=seed, today=today, files=not no_files
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        counts = loaded.counts
        if counts is None:
            self.stdout.write(
                "The demo data is already there; the demo logins were reset "
                f"({elapsed:.1f} s). Use --rebuild to build it again."
            )
        else:
            summary = ", ".join(f"{n:,} {what}" for what, n in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data built in {elapsed:.1f} s: {summary}."))
        self.stdout.write("")
        with_staff = not loaded.real_users
        self.stdout.write(self.format_logins(staff=with_staff))
        if not with_staff:
            self.stdout.write("")
            self.stdout.write(self.style.WARNING(self.no_staff_notice(loaded)))
        port = os.environ.get("PORT") or "8000"
        self.stdout.write(f"\nOpen http://127.0.0.1:{port}/ (Django admin: /admin/).")

    @staticmethod
    def no_staff_notice(loaded):
        login = accounts_demo.STAFF.login
        lines = [
            f"The staff login {login} was NOT created: this database has {loaded.real_users} "
            "user(s) the demo did not create, so it may be a real one, and a superuser with a "
            "published password would open its admin to anyone. Create staff with "
            "`manage.py createsuperuser`."
        ]
        if loaded.staff_disabled:
            lines.append(
                f"{login}, left by an earlier run, still had the demo password; it now has "
                f"none (`manage.py changepassword {login}` sets one)."
            )
        return "\n".join(lines)

    @staticmethod
    def format_logins(*, staff=True):
        rows = [("login", "password", "who"), *accounts_demo.login_table(staff=staff)]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines = [f"{login:<{widths[0]}}  {pw:<{widths[1]}}  {who}" for login, pw, who in rows]
        lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(rows[0][2])}")
        return "\n".join(lines)

"""Two transactions at once, for the tests of row locks: those run on PostgreSQL only, since
select_for_update is a no-op on SQLite."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction


def postgres_only():
    return pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="select_for_update is a no-op on SQLite; the row lock needs PostgreSQL",
    )


def _blocked_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def at_once(first, second):
    """Runs `first` in a transaction that stays open until `second`, in another connection, has
    had to wait for a lock (or has finished); then both finish. Returns {"first": result,
    "second": result}, an exception standing for the result of a call that raised it."""
    first_done = threading.Event()
    let_first_commit = threading.Event()
    results = {}

    def run_first():
        try:
            with transaction.atomic():
                results["first"] = first()
                first_done.set()
                let_first_commit.wait(timeout=30)
        except Exception as exc:
            results["first"] = exc
        finally:
            first_done.set()
            connection.close()

    def run_second():
        try:
            results["second"] = second()
        except Exception as exc:
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    threads[0].start()
    assert first_done.wait(timeout=30)
    threads[1].start()
    deadline = time.monotonic() + 30
    while threads[1].is_alive() and not _blocked_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.01)
    let_first_commit.set()
    for thread in threads:
        thread.join(timeout=30)
    return results

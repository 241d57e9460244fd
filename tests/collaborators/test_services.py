"""The rules of collaborators/services.py, each on its own (DESIGN §4, issue 4 §2)."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from collaborators import services
from collaborators.models import AccessChange, Collaborator
from collaborators.modules import Module
from tests.factories import CollaboratorFactory, UserFactory

pytestmark = pytest.mark.django_db


def update(actor, target, *, is_admin=None, modules=None, version=None):
    target = Collaborator.objects.get(pk=target.pk)
    return services.collaborator_update_access(
        actor=actor,
        collaborator=target,
        is_admin=target.is_admin if is_admin is None else is_admin,
        modules=sorted(target.modules) if modules is None else modules,
        version=target.version if version is None else version,
    )


def fresh(collaborator):
    return Collaborator.objects.get(pk=collaborator.pk)


def refused(call):
    with pytest.raises(services.AccessRefused) as info:
        call()
    return info.value


# Updating permissions ---------------------------------------------------------------------------


def test_an_update_records_who_whom_and_the_access_before_and_after(alice, olga):
    change = update(alice, olga, modules=[Module.NF_REPORT, Module.ORDERS, Module.COLLABORATORS])

    assert change.collaborator == olga
    assert change.changed_by == alice.user
    assert change.reason == "permissions updated"
    assert change.before == {"is_admin": False, "is_active": True, "modules": ["orders"]}
    assert change.after == {
        "is_admin": False,
        "is_active": True,
        "modules": ["collaborators", "nf_report", "orders"],  # sorted
    }
    assert change.changed_at is not None
    assert fresh(olga).modules == {"orders", "collaborators", "nf_report"}


def test_an_update_bumps_the_version(alice, olga):
    before = fresh(olga).version
    update(alice, olga, modules=[])
    assert fresh(olga).version == before + 1


def test_an_update_that_changes_nothing_records_nothing_and_keeps_the_version(alice, olga):
    version = fresh(olga).version
    assert update(alice, olga, modules=[Module.ORDERS]) is None
    assert not AccessChange.objects.filter(collaborator=olga).exists()
    assert fresh(olga).version == version


def test_an_update_with_an_old_version_is_refused_and_writes_nothing(alice, dave, olga):
    version = fresh(olga).version
    update(dave, olga, modules=[Module.ORDERS, Module.COLLABORATORS], version=version)

    error = refused(lambda: update(alice, olga, modules=[], version=version))

    assert isinstance(error, services.ConcurrentChange)
    assert "changed by someone else" in error.message or "alterado" in error.message
    assert fresh(olga).modules == {"orders", "collaborators"}  # dave's change is not lost
    assert AccessChange.objects.filter(collaborator=olga).count() == 1


def test_an_unknown_module_is_refused(alice, olga):
    refused(lambda: update(alice, olga, modules=["orders", "payroll"]))
    assert fresh(olga).modules == {"orders"}


# Who may change what ----------------------------------------------------------------------------


def test_an_admin_may_grant_admin(alice, olga):
    update(alice, olga, is_admin=True)
    assert fresh(olga).is_admin


def test_a_collaborators_module_user_may_change_a_non_admins_modules(carla, olga):
    update(carla, olga, modules=[Module.COMMISSIONS_TRACK])
    assert fresh(olga).modules == {"commissions_track"}


def test_only_an_admin_may_grant_admin(carla, olga):
    error = refused(lambda: update(carla, olga, is_admin=True))
    assert "administrator" in error.message or "administrador" in error.message
    assert not fresh(olga).is_admin
    assert not AccessChange.objects.filter(collaborator=olga).exists()


def test_only_an_admin_may_change_an_admins_record(carla, alice, dave):
    refused(lambda: update(carla, dave, is_admin=False))
    refused(lambda: update(carla, dave, modules=[Module.ORDERS]))
    refused(lambda: services.collaborator_deactivate(actor=carla, collaborator=dave))
    assert fresh(dave).is_admin and fresh(dave).is_active


def test_nobody_can_revoke_their_own_admin(alice, dave):
    error = refused(lambda: update(alice, alice, is_admin=False))
    assert fresh(alice).is_admin
    assert str(error.message) == str(
        services.admin_change_refusal(actor=alice, collaborator=alice, is_admin=False)
    )


def test_an_admin_may_revoke_another_admins_admin(alice, dave):
    update(alice, dave, is_admin=False)
    assert not fresh(dave).is_admin


def test_the_last_active_admin_cannot_be_demoted(alice, dave):
    services.collaborator_deactivate(actor=alice, collaborator=dave)
    # alice is now the only active admin; whoever asks, she stays one.
    error = refused(lambda: update(alice, alice, is_admin=False))
    assert "last active administrator" in error.message or "último" in error.message
    assert fresh(alice).is_admin


def test_the_last_active_admin_cannot_be_deactivated(alice):
    error = refused(lambda: services.collaborator_deactivate(actor=alice, collaborator=alice))
    assert "last active administrator" in error.message or "último" in error.message
    assert fresh(alice).is_active


def test_an_admin_of_another_reseller_is_refused(charlie, olga):
    refused(lambda: update(charlie, olga, modules=[]))
    refused(lambda: services.collaborator_deactivate(actor=charlie, collaborator=olga))
    assert fresh(olga).modules == {"orders"} and fresh(olga).is_active


def test_the_actor_is_checked_as_stored_now_not_as_loaded_by_the_page(carla, bob, alice):
    loaded = Collaborator.objects.get(pk=carla.pk)
    assert loaded.can_open(Module.COLLABORATORS)
    update(alice, carla, modules=[])  # carla loses the module while her page is open

    refused(lambda: update(loaded, bob, modules=[Module.ORDERS]))
    assert fresh(bob).modules == set()


def test_a_deactivated_actor_is_refused(alice, dave, olga):
    loaded = Collaborator.objects.get(pk=dave.pk)
    services.collaborator_deactivate(actor=alice, collaborator=dave)
    refused(lambda: update(loaded, olga, modules=[]))


# Deactivation and reactivation ------------------------------------------------------------------


def test_deactivation_records_the_change_keeps_the_grants_and_bumps_the_version(alice, olga):
    version = fresh(olga).version
    change = services.collaborator_deactivate(actor=alice, collaborator=olga)

    olga = fresh(olga)
    assert not olga.is_active
    assert olga.modules == {"orders"}
    assert olga.version == version + 1
    assert change.reason == "deactivated"
    assert change.changed_by == alice.user
    assert change.before == {"is_admin": False, "is_active": True, "modules": ["orders"]}
    assert change.after == {"is_admin": False, "is_active": False, "modules": ["orders"]}


def test_reactivation_records_the_change_and_restores_the_access(alice, dina):
    change = services.collaborator_reactivate(actor=alice, collaborator=dina)

    dina = fresh(dina)
    assert dina.is_active and dina.can_open(Module.ORDERS)
    assert change.reason == "reactivated"
    assert change.before["is_active"] is False and change.after["is_active"] is True


def test_nobody_can_deactivate_themselves(alice, dave):
    error = refused(lambda: services.collaborator_deactivate(actor=alice, collaborator=alice))
    assert "own" in error.message or "próprio" in error.message
    assert fresh(alice).is_active


def test_deactivating_twice_is_refused_and_records_once(alice, olga):
    services.collaborator_deactivate(actor=alice, collaborator=olga)
    refused(lambda: services.collaborator_deactivate(actor=alice, collaborator=olga))
    assert AccessChange.objects.filter(collaborator=olga, reason="deactivated").count() == 1


def test_reactivating_an_active_collaborator_is_refused(alice, olga):
    refused(lambda: services.collaborator_reactivate(actor=alice, collaborator=olga))
    assert not AccessChange.objects.filter(collaborator=olga).exists()


def test_a_collaborators_module_user_may_deactivate_and_reactivate_a_non_admin(carla, olga):
    services.collaborator_deactivate(actor=carla, collaborator=olga)
    assert not fresh(olga).is_active
    services.collaborator_reactivate(actor=carla, collaborator=olga)
    assert fresh(olga).is_active


def test_a_deactivated_admin_may_be_reactivated_only_by_an_admin(alice, carla, dave):
    services.collaborator_deactivate(actor=alice, collaborator=dave)
    refused(lambda: services.collaborator_reactivate(actor=carla, collaborator=dave))
    services.collaborator_reactivate(actor=alice, collaborator=dave)
    assert fresh(dave).is_active


def test_an_edit_form_opened_before_a_deactivation_is_refused(alice, dave, olga):
    version = fresh(olga).version
    services.collaborator_deactivate(actor=dave, collaborator=olga)
    error = refused(lambda: update(alice, olga, modules=[], version=version))
    assert isinstance(error, services.ConcurrentChange)


# Concurrency (PostgreSQL: select_for_update does nothing on SQLite) ----------------------------


def _postgres_only():
    return pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="select_for_update is a no-op on SQLite; the row lock needs PostgreSQL",
    )


def _someone_waits_for_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def run_at_once(first, second):
    """Runs `first` in a transaction held open until `second` has queued behind its lock (or
    finished), then lets it commit. Returns each one's result or exception."""
    from django.db import transaction

    first_holds_the_lock = threading.Event()
    let_first_commit = threading.Event()
    results = {}

    def run_first():
        try:
            with transaction.atomic():
                results["first"] = first()
                first_holds_the_lock.set()
                let_first_commit.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - the test reads it
            results["first"] = exc
        finally:
            first_holds_the_lock.set()
            connection.close()

    def run_second():
        try:
            results["second"] = second()
        except Exception as exc:  # noqa: BLE001 - the test reads it
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    threads[0].start()
    assert first_holds_the_lock.wait(timeout=30)
    threads[1].start()
    deadline = time.monotonic() + 30
    while threads[1].is_alive() and not _someone_waits_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.01)
    let_first_commit.set()
    for thread in threads:
        thread.join(timeout=30)
    return results["first"], results["second"]


@pytest.fixture
def people(reseller_a):
    def make(email, **kwargs):
        return CollaboratorFactory(user=UserFactory(email=email), reseller=reseller_a, **kwargs)

    return {
        "alice": make("alice@revenda-a.example", is_admin=True),
        "dave": make("dave@revenda-a.example", is_admin=True),
        "olga": make("olga@revenda-a.example", modules=[Module.ORDERS]),
    }


@_postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_admins_saving_the_same_form_at_once_one_is_told_and_nothing_is_lost(people):
    alice, dave, olga = people["alice"], people["dave"], people["olga"]
    version = fresh(olga).version

    def save(actor, modules):
        return lambda: services.collaborator_update_access(
            actor=actor,
            collaborator=fresh(olga),
            is_admin=False,
            modules=modules,
            version=version,
        )

    first, second = run_at_once(
        save(alice, [Module.ORDERS, Module.COLLABORATORS]), save(dave, [Module.NF_REPORT])
    )

    assert isinstance(first, AccessChange), first
    assert isinstance(second, services.ConcurrentChange), second
    olga = fresh(olga)
    assert olga.modules == {"orders", "collaborators"}
    assert olga.version == version + 1
    assert [c.changed_by_id for c in AccessChange.objects.filter(collaborator=olga)] == [
        alice.user_id
    ]


@_postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_admins_deactivating_each_other_at_once_leave_one_active_admin(people):
    alice, dave = people["alice"], people["dave"]

    first, second = run_at_once(
        lambda: services.collaborator_deactivate(actor=alice, collaborator=fresh(dave)),
        lambda: services.collaborator_deactivate(actor=dave, collaborator=fresh(alice)),
    )

    assert isinstance(first, AccessChange), first
    assert isinstance(second, services.AccessRefused), second
    assert fresh(alice).is_active and not fresh(dave).is_active


@_postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(people):
    alice, dave = people["alice"], people["dave"]

    def demote(actor, target):
        return lambda: services.collaborator_update_access(
            actor=actor,
            collaborator=fresh(target),
            is_admin=False,
            modules=[],
            version=fresh(target).version,
        )

    first, second = run_at_once(demote(alice, dave), demote(dave, alice))

    assert isinstance(first, AccessChange), first
    assert isinstance(second, services.AccessRefused), second
    assert Collaborator.objects.active_admins().filter(reseller=alice.reseller).count() == 1

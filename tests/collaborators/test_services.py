"""The rules of collaborators/services.py, each on its own (docs/architecture.md#access)."""

import logging

import pytest

from collaborators import services
from collaborators.models import AccessChange, Collaborator
from collaborators.modules import Module
from tests.factories import CollaboratorFactory, StaffFactory, UserFactory
from tests.locks import at_once, postgres_only

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


def test_a_collaborators_module_user_may_change_a_non_admins_modules_it_holds(carla, olga):
    # carla holds Colaboradores only: she may grant or revoke it, and leaves Status de pedidos be.
    update(carla, olga, modules=[Module.ORDERS, Module.COLLABORATORS])
    assert fresh(olga).modules == {"orders", "collaborators"}
    update(carla, olga, modules=[Module.ORDERS])
    assert fresh(olga).modules == {"orders"}


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


def test_a_collaborators_module_user_may_toggle_a_non_admin_whose_every_module_it_holds(
    carla, bob, reseller_a
):
    # Someone whose every module carla holds too (none, or Colaboradores only).
    pia = CollaboratorFactory(reseller=reseller_a, modules=[Module.COLLABORATORS])
    for target in (bob, pia):
        services.collaborator_deactivate(actor=carla, collaborator=target)
        assert not fresh(target).is_active
        services.collaborator_reactivate(actor=carla, collaborator=target)
        assert fresh(target).is_active


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


# Least privilege: what a non-admin manager may not do ---------------------------------------------


@pytest.mark.parametrize(
    "modules",
    [
        list(Module),  # every module
        [Module.COLLABORATORS, Module.ORDERS],  # one more
        [],  # or fewer: their own access is an administrator's business
    ],
    ids=["every module", "one more", "none"],
)
def test_a_non_admin_manager_cannot_grant_itself_modules(carla, modules):
    error = refused(lambda: update(carla, carla, modules=modules))
    assert error.code == "own_access"
    assert fresh(carla).modules == {"collaborators"}
    assert not AccessChange.objects.filter(collaborator=carla).exists()


def test_a_non_admin_manager_cannot_make_itself_admin(carla):
    error = refused(lambda: update(carla, carla, is_admin=True))
    assert error.code == "own_access"
    assert not fresh(carla).is_admin


def test_a_non_admin_manager_cannot_grant_another_non_admin_a_module_it_lacks(carla, bob):
    error = refused(lambda: update(carla, bob, modules=list(Module)))
    assert error.code == "module_not_held"
    assert str(Module.ORDERS.label) in error.message
    assert str(Module.COLLABORATORS.label) not in error.message  # that one she may grant
    assert fresh(bob).modules == set()
    assert not AccessChange.objects.filter(collaborator=bob).exists()


def test_a_non_admin_manager_cannot_revoke_a_module_it_lacks(carla, olga):
    error = refused(lambda: update(carla, olga, modules=[]))
    assert error.code == "module_not_held"
    assert fresh(olga).modules == {"orders"}


def test_two_non_admin_managers_cannot_pass_each_other_modules_neither_holds(carla, bob):
    # carla may hand bob Colaboradores, the one module she holds; that gives bob nothing more to
    # hand back, and nobody may touch their own access.
    update(carla, bob, modules=[Module.COLLABORATORS])
    refused(lambda: update(fresh(bob), carla, modules=[Module.COLLABORATORS, Module.ORDERS]))
    refused(lambda: update(fresh(bob), bob, modules=[Module.COLLABORATORS, Module.ORDERS]))
    assert fresh(carla).modules == fresh(bob).modules == {"collaborators"}


def test_a_manager_holding_a_module_may_grant_and_revoke_exactly_that_one(reseller_a, bob, olga):
    manager = CollaboratorFactory(
        reseller=reseller_a, modules=[Module.COLLABORATORS, Module.COMMISSIONS_TRACK]
    )
    update(manager, bob, modules=[Module.COMMISSIONS_TRACK])
    update(manager, olga, modules=[Module.ORDERS, Module.COMMISSIONS_TRACK])
    assert fresh(bob).modules == {"commissions_track"}
    assert fresh(olga).modules == {"orders", "commissions_track"}
    refused(lambda: update(manager, bob, modules=[Module.COMMISSIONS_TRACK, Module.NF_REPORT]))


def test_a_non_admin_manager_cannot_deactivate_someone_holding_a_module_it_lacks(carla, olga):
    error = refused(lambda: services.collaborator_deactivate(actor=carla, collaborator=olga))
    assert error.code == "module_not_held"
    assert "Olga Oliveira" in error.message
    assert fresh(olga).is_active
    assert not AccessChange.objects.filter(collaborator=olga).exists()


def test_a_non_admin_manager_cannot_reactivate_someone_holding_a_module_it_lacks(carla, dina):
    error = refused(lambda: services.collaborator_reactivate(actor=carla, collaborator=dina))
    assert error.code == "module_not_held"
    assert not fresh(dina).is_active


def test_a_non_admin_manager_cannot_deactivate_itself(carla, bob):
    error = refused(lambda: services.collaborator_deactivate(actor=carla, collaborator=carla))
    assert error.code == "own_access"
    assert fresh(carla).is_active


def test_what_the_edit_page_offers_is_what_the_service_allows(alice, carla, olga):
    assert services.manageable_modules(actor=alice, collaborator=olga) == set(Module.values)
    assert services.manageable_modules(actor=carla, collaborator=olga) == {"collaborators"}
    assert services.manageable_modules(actor=carla, collaborator=carla) == set()
    assert services.manageable_modules(actor=carla, collaborator=alice) == set()


# Distributor staff, acting as their User (the Django admin) -----------------------------------


def test_staff_may_grant_admin_and_every_module_and_are_recorded_as_the_actor(stella, olga):
    version = fresh(olga).version
    change = update(stella, olga, is_admin=True, modules=list(Module))

    olga = fresh(olga)
    assert olga.is_admin and olga.modules == set(Module.values)
    assert olga.version == version + 1
    assert change.changed_by == stella
    assert change.before["is_admin"] is False and change.after["is_admin"] is True


def test_staff_may_deactivate_and_reactivate_anyone_but_the_last_admin(stella, alice, dave, olga):
    services.collaborator_deactivate(actor=stella, collaborator=olga)
    services.collaborator_deactivate(actor=stella, collaborator=dave)
    assert not fresh(olga).is_active and not fresh(dave).is_active

    error = refused(lambda: services.collaborator_deactivate(actor=stella, collaborator=alice))
    assert error.code == "last_admin"
    assert fresh(alice).is_active
    services.collaborator_reactivate(actor=stella, collaborator=dave)
    assert fresh(dave).is_active


def test_staff_cannot_demote_a_resellers_last_admin(stella, alice, charlie):
    error = refused(lambda: update(stella, alice, is_admin=False))
    assert error.code == "last_admin"
    assert fresh(alice).is_admin
    assert not AccessChange.objects.filter(collaborator=alice).exists()


def test_a_staff_user_is_never_taken_for_the_collaborator_with_the_same_id(
    stella, alice, dave, reseller_a
):
    # Staff are Users, collaborators are Collaborators: equal primary keys mean nothing. (Two
    # other active admins, so that the twin is not the last one whatever ids they got.)
    twin = Collaborator(pk=stella.pk, user=UserFactory(), reseller=reseller_a, is_admin=True)
    assert services.admin_change_refusal(actor=stella, collaborator=twin, is_admin=False) is None
    assert services.deactivation_refusal(actor=stella, collaborator=twin) is None


@pytest.mark.parametrize(
    "user",
    [
        {"is_staff": False, "is_superuser": False},  # a reseller's own user record
        {"is_staff": True, "is_superuser": False},  # staff without the change permission
        {"is_staff": True, "is_superuser": True, "is_active": False},  # staff who left
    ],
    ids=["reseller user", "no permission", "inactive"],
)
def test_a_user_is_an_actor_only_as_active_staff_allowed_to_change_collaborators(user, olga):
    actor = UserFactory(**user)
    error = refused(lambda: update(actor, olga, is_admin=True, modules=list(Module)))
    assert error.code == "not_allowed"
    olga = fresh(olga)
    assert not olga.is_admin and olga.modules == {"orders"}


def test_staff_set_admin_modules_and_active_at_once_in_a_legal_order(stella, alice, dina):
    version = fresh(dina).version
    changes = services.collaborator_change_access(
        actor=stella,
        collaborator=dina,
        is_admin=True,
        modules=[Module.NF_REPORT],
        is_active=True,
        version=version,
    )
    assert [c.reason for c in changes] == ["reactivated", "permissions updated"]
    dina = fresh(dina)
    assert dina.is_active and dina.is_admin and dina.modules == {"nf_report"}
    assert dina.version == version + 2


def test_a_refused_part_undoes_the_whole_change(stella, alice, dave):
    services.collaborator_deactivate(actor=stella, collaborator=dave)
    # Granting a module would pass, demoting alice would not: neither happens.
    error = refused(
        lambda: services.collaborator_change_access(
            actor=stella,
            collaborator=alice,
            is_admin=False,
            modules=[Module.ORDERS],
            is_active=False,
            version=fresh(alice).version,
        )
    )
    assert error.code == "last_admin"
    alice = fresh(alice)
    assert alice.is_admin and alice.is_active and alice.modules == set()
    assert not AccessChange.objects.filter(collaborator=alice).exists()


def test_a_stale_staff_change_is_refused(stella, alice, olga):
    version = fresh(olga).version
    update(alice, olga, modules=[Module.NF_REPORT])
    error = refused(
        lambda: services.collaborator_change_access(
            actor=stella,
            collaborator=olga,
            is_admin=False,
            modules=[],
            is_active=False,
            version=version,
        )
    )
    assert isinstance(error, services.ConcurrentChange)
    assert fresh(olga).is_active and fresh(olga).modules == {"nf_report"}


# The security log ---------------------------------------------------------------------------------


@pytest.fixture
def security_events(caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    return lambda: [r for r in caplog.records if r.name == "portal.security"]


def test_each_permission_change_is_logged_with_actor_target_before_and_after(
    alice, olga, security_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update(alice, olga, modules=[Module.ORDERS, Module.NF_REPORT])
    [line] = security_events()
    assert line.getMessage() == "access_changed"
    assert line.levelno == logging.INFO
    assert line.user_id == alice.user_id
    assert line.collaborator_id == olga.pk
    assert line.action == "permissions updated"
    assert line.before["modules"] == ["orders"]
    assert line.after["modules"] == ["nf_report", "orders"]


def test_granting_admin_is_logged_as_a_warning(
    alice, olga, security_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update(alice, olga, is_admin=True)
    [line] = security_events()
    assert line.levelno == logging.WARNING
    assert (line.before["is_admin"], line.after["is_admin"]) == (False, True)


def test_a_deactivation_by_staff_is_logged_with_the_staff_user(
    stella, olga, security_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.collaborator_deactivate(actor=stella, collaborator=olga)
    [line] = security_events()
    assert (line.getMessage(), line.user_id, line.staff) == ("access_changed", stella.pk, True)
    assert (line.before["is_active"], line.after["is_active"]) == (True, False)


def test_a_refused_change_is_logged_once_with_its_reason_code(carla, bob, security_events):
    refused(lambda: update(carla, bob, modules=list(Module)))
    [line] = security_events()
    assert line.getMessage() == "access_change_refused"
    assert line.levelno == logging.WARNING
    assert (line.user_id, line.collaborator_id, line.reason) == (
        carla.user_id,
        bob.pk,
        "module_not_held",
    )


def test_a_change_undone_by_a_later_refusal_is_not_logged_as_made(
    stella, dina, security_events, django_capture_on_commit_callbacks
):
    # The reactivation passes and is recorded, then the unknown module undoes it all.
    with django_capture_on_commit_callbacks(execute=True):
        error = refused(
            lambda: services.collaborator_change_access(
                actor=stella,
                collaborator=dina,
                is_admin=False,
                modules=["payroll"],
                is_active=True,
                version=fresh(dina).version,
            )
        )
    assert isinstance(error, services.InvalidChange)
    assert not fresh(dina).is_active
    assert not AccessChange.objects.filter(collaborator=dina).exists()
    assert [line.getMessage() for line in security_events()] == ["access_change_refused"]


# Concurrency (PostgreSQL: select_for_update does nothing on SQLite) ----------------------------


def run_at_once(first, second):
    """Runs `first` in a transaction held open until `second` has queued behind its lock (or
    finished), then lets it commit. Returns each one's result or exception."""
    results = at_once(first, second)
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


@postgres_only()
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


@postgres_only()
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


@postgres_only()
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


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_staff_in_the_admin_and_an_admin_demoting_the_two_admins_at_once_leave_one_admin(people):
    alice, dave = people["alice"], people["dave"]
    stella = StaffFactory()

    def staff_demotes_alice():
        return services.collaborator_change_access(
            actor=stella,
            collaborator=fresh(alice),
            is_admin=False,
            modules=[],
            is_active=True,
            version=fresh(alice).version,
        )

    def alice_demotes_dave():
        return services.collaborator_update_access(
            actor=alice,
            collaborator=fresh(dave),
            is_admin=False,
            modules=[],
            version=fresh(dave).version,
        )

    first, second = run_at_once(staff_demotes_alice, alice_demotes_dave)

    assert isinstance(first, list) and len(first) == 1, first
    assert isinstance(second, services.AccessRefused), second
    assert Collaborator.objects.active_admins().filter(reseller=alice.reseller).count() == 1

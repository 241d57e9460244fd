"""The demo's collaborators (collaborators/demo.py), built by `manage.py demo_data`."""

import pytest
from django.contrib.auth import authenticate

from accounts import demo as accounts_demo
from accounts.models import Reseller
from collaborators import demo
from collaborators.models import AccessChange, Collaborator
from collaborators.modules import Module
from tests.demo.helpers import PASSWORD, demo_data
from tests.factories import CommissionRequestFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_every_colleague_is_a_store_user_and_every_store_colleague_has_logged_in():
    assert [c.login for c in demo.COLLEAGUES] == [c.login for c in accounts_demo.COLLEAGUES]


@pytest.mark.django_db
def test_colleagues_make_the_collaborators_list_look_real():
    demo_data()

    reseller_a = Reseller.objects.get(code="M000000000LL")
    colleagues = Collaborator.objects.filter(reseller=reseller_a)
    assert colleagues.count() >= 5
    assert colleagues.filter(is_admin=True, is_active=True).exists()
    assert colleagues.filter(is_active=False).exists()
    assert len({frozenset(c.modules) for c in colleagues}) >= 4
    assert not colleagues.filter(first_access=None).exists()


@pytest.mark.django_db
def test_every_access_a_colleague_has_was_audited():
    demo_data()

    logins = [c.login for c in demo.COLLEAGUES] + [accounts_demo.PEDIDOS.login]
    collaborators = Collaborator.objects.filter(user__email__in=logins)
    assert collaborators.count() == len(logins)
    for collaborator in collaborators:
        changes = AccessChange.objects.filter(collaborator=collaborator).order_by("changed_at")
        assert changes[0].reason == "first login" and changes[0].changed_by is None
        assert changes[0].changed_at == collaborator.first_access
        last = changes.last().after
        assert sorted(last["modules"]) == sorted(collaborator.modules)
        assert (last["is_admin"], last["is_active"]) == (
            collaborator.is_admin,
            collaborator.is_active,
        )


@pytest.mark.django_db
def test_novo_who_made_a_request_meanwhile_is_kept_on_a_re_run_but_without_access():
    demo_data()
    novo = authenticate(request=None, email=accounts_demo.NOVO.login, password=PASSWORD)
    novo.collaborator.set_modules([Module.ORDERS])
    CommissionRequestFactory(reseller=novo.collaborator.reseller, created_by=novo)

    demo_data()

    collaborator = Collaborator.objects.get(user__email=accounts_demo.NOVO.login)
    assert (collaborator.is_admin, collaborator.is_active) == (False, True)
    assert collaborator.modules == frozenset()

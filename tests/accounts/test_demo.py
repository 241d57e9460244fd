"""The demo's resellers and logins (accounts/demo.py), built by `manage.py demo_data`."""

import pytest
from django.contrib.auth.backends import ModelBackend

from accounts.backends import EcommerceBackend
from accounts.store import InvalidCredentials, LocalStore
from collaborators.models import Collaborator
from tests.demo.helpers import PASSWORD, STAFF, demo_data

STORE_LOGINS = [
    "admin@revenda-a.example",
    "pedidos@revenda-a.example",
    "novo@revenda-a.example",
    "admin@revenda-b.example",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_demo_logins_authenticate_through_the_local_store():
    demo_data()

    store = LocalStore()
    identities = {login: store.authenticate(login, PASSWORD) for login in STORE_LOGINS}

    assert identities["admin@revenda-a.example"].is_admin
    assert identities["admin@revenda-a.example"].reseller_code == "M000000000LL"
    assert len(identities["admin@revenda-a.example"].accounts) == 3
    assert identities["admin@revenda-b.example"].is_admin
    assert not identities["pedidos@revenda-a.example"].is_admin
    with pytest.raises(InvalidCredentials):
        store.authenticate("admin@revenda-a.example", "wrong-password")
    # Staff are local Django users, never in the e-commerce store.
    with pytest.raises(InvalidCredentials):
        store.authenticate(STAFF, PASSWORD)


@pytest.mark.django_db
def test_staff_logs_in_with_django_s_own_backend():
    demo_data()

    staff = ModelBackend().authenticate(None, username=STAFF, password=PASSWORD)

    assert staff is not None and staff.is_staff and staff.is_superuser
    assert EcommerceBackend().authenticate(None, email=STAFF, password=PASSWORD) is None
    assert not Collaborator.objects.filter(user=staff).exists()

"""`manage.py demo_data` on a database that may be a real one.

The demo's logins have a published password (demo1234), and one of them is a superuser. The
command runs only with DEBUG=1 or an explicit flag, and never makes that superuser where users
the demo did not create exist.
"""

import io

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.management import CommandError, call_command

from accounts.models import Reseller, User
from orders.models import Order
from tests.factories import UserFactory

STAFF = "staff@distribuidora.example"
PASSWORD = "demo1234"
FLAG = "--i-know-this-is-not-production"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def demo_data(*args):
    out = io.StringIO()
    call_command("demo_data", "--orders", "20", "--no-files", *args, stdout=out)
    return out.getvalue()


def staff_can_sign_in():
    return ModelBackend().authenticate(None, username=STAFF, password=PASSWORD) is not None


@pytest.mark.django_db
def test_demo_data_on_a_production_configuration_is_refused_and_writes_nothing(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError) as refused:
        demo_data()

    assert "DEBUG=1" in str(refused.value) and FLAG in str(refused.value)
    assert not User.objects.exists()
    assert not Reseller.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["DEBUG=1", FLAG])
def test_demo_data_runs_under_debug_or_with_the_explicit_flag(settings, how):
    settings.DEBUG = how == "DEBUG=1"

    demo_data(*([FLAG] if how == FLAG else []))

    assert Order.objects.exists()
    assert staff_can_sign_in()


@pytest.mark.django_db
def test_the_demo_superuser_is_not_created_on_a_database_with_real_users(stella):
    UserFactory(email="maria@cliente-real.com.br")

    out = demo_data(FLAG)

    assert not User.objects.filter(email__iexact=STAFF).exists()
    assert not staff_can_sign_in()
    assert f"The staff login {STAFF} was NOT created" in out
    assert "2 user(s) the demo did not create" in out
    assert not any(line.startswith(STAFF) for line in out.splitlines())
    # The rest of the demo is there, its history recorded without a staff author.
    assert Order.objects.exists()
    assert User.objects.filter(email="pedidos@revenda-a.example").exists()


@pytest.mark.django_db
def test_an_earlier_demo_superuser_loses_the_demo_password_once_real_users_exist():
    demo_data(FLAG)
    assert staff_can_sign_in()
    UserFactory(email="maria@cliente-real.com.br")

    out = demo_data(FLAG)

    assert User.objects.filter(email__iexact=STAFF).exists()
    assert not staff_can_sign_in()
    assert "still had the demo password; it now has none" in out


@pytest.mark.django_db
def test_the_demo_s_own_users_do_not_count_as_real(settings):
    settings.DEBUG = True
    demo_data()
    demo_data("--rebuild")

    out = demo_data()

    assert staff_can_sign_in()
    assert "NOT created" not in out

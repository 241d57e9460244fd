"""A change to someone's access takes effect at their next request: two
people, two clients, one changing the other's access while both are logged in."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext

from collaborators.models import Collaborator
from collaborators.modules import Module
from tests.factories import EcommerceUserFactory

ORDERS = reverse("orders:list")
HOME = reverse("home")
PASSWORD = "secret-123"  # EcommerceUserFactory's


def grant(client, who, modules, *, is_admin=False):
    current = Collaborator.objects.get(pk=who.pk)
    data = {"version": current.version, "modules": modules}
    if is_admin:
        data["is_admin"] = "on"
    response = client.post(reverse("collaborators:edit", args=[who.pk]), data)
    assert response.status_code == 302, response.status_code


def tiles(response):
    return [str(tile.label) for tile in response.context.get("tiles") or []]


def test_granting_orders_opens_the_page_the_menu_and_the_tiles_at_the_next_request(
    clients, alice, bob
):
    admin, bobs = clients(alice), clients(bob)
    assert bobs.get(ORDERS).status_code == 403
    home = bobs.get(HOME)
    assert "portal/welcome.html" in [t.name for t in home.templates]
    assert f'href="{ORDERS}"' not in home.text

    grant(admin, bob, [Module.ORDERS])

    assert bobs.get(ORDERS).status_code == 200
    home = bobs.get(HOME)
    assert f'href="{ORDERS}"' in home.text  # the menu
    assert gettext("Orders in transit") in tiles(home)


def test_revoking_orders_closes_the_page_the_menu_and_the_tiles_at_the_next_request(
    clients, alice, olga
):
    admin, olgas = clients(alice), clients(olga)
    assert olgas.get(ORDERS).status_code == 200

    grant(admin, olga, [])

    assert olgas.get(ORDERS).status_code == 403
    home = olgas.get(HOME)
    assert f'href="{ORDERS}"' not in home.text
    assert tiles(home) == []


def test_granting_admin_opens_every_module_at_the_next_request(clients, alice, bob):
    grant(clients(alice), bob, [], is_admin=True)
    bobs = clients(bob)
    assert bobs.get(ORDERS).status_code == 200
    assert bobs.get(reverse("collaborators:list")).status_code == 200


@pytest.fixture
def novo(reseller_a):
    """An e-commerce user of reseller A in the local store who has never opened the portal."""
    return EcommerceUserFactory(
        login="novo@revenda-a.example", name="Novo Nascimento", reseller=reseller_a
    )


def log_in(client, login):
    return client.post(reverse("account_login"), {"login": login, "password": PASSWORD})


def test_a_deactivated_collaborator_is_signed_out_at_the_next_request_until_reactivated(
    clients, alice, novo
):
    novos = Client()
    assert log_in(novos, "novo@revenda-a.example").status_code == 302
    assert novos.get(HOME).status_code == 200  # the welcome page: every module off
    new = Collaborator.objects.get(user__email="novo@revenda-a.example")
    assert new.modules == set() and not new.is_admin
    admin = clients(alice)

    # The admin sees the new user in the list, and deactivates them.
    assert "novo@revenda-a.example" in admin.get(reverse("collaborators:list")).text
    assert admin.post(reverse("collaborators:deactivate", args=[new.pk])).status_code == 302

    # novo's next request sends them to the login page, with a message.
    response = novos.get(HOME)
    assert response.status_code == 302 and response.url == reverse("account_login")
    login_page = novos.get(response.url)
    assert [m.level_tag for m in login_page.context["messages"]] == ["error"]
    assert "_auth_user_id" not in novos.session

    # The store still accepts the password, but the portal does not.
    refused = log_in(novos, "novo@revenda-a.example")
    assert refused.status_code == 200
    assert [e.code for e in refused.context["form"].non_field_errors().as_data()] == ["deactivated"]

    # Reactivated, novo logs in again, with the access they had.
    assert admin.post(reverse("collaborators:reactivate", args=[new.pk])).status_code == 302
    assert log_in(novos, "novo@revenda-a.example").status_code == 302
    assert novos.get(HOME).status_code == 200


def test_a_deactivated_collaborators_htmx_request_redirects_the_whole_page(clients, alice, olga):
    olgas = clients(olga)
    clients(alice).post(reverse("collaborators:deactivate", args=[olga.pk]))
    response = olgas.get(ORDERS, headers={"HX-Request": "true", "HX-Target": "list-results"})
    assert response.headers["HX-Redirect"] == reverse("account_login")

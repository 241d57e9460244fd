"""Control characters in the address are refused before any view runs (portal/input_guard.py).

PostgreSQL cannot hold a NUL, so a NUL that reaches a query answers 500 there; these tests pass
on SQLite too, but only PostgreSQL (CI, or `DATABASE_URL=postgres://...`) shows the hole.
"""

import httpx
import pytest
from django.conf import settings as django_settings
from django.utils import translation

from collaborators.models import Collaborator
from collaborators.modules import Module
from tests.factories import CollaboratorFactory, OrderFactory, UserFactory

with translation.override("pt-br"):
    REFUSAL = translation.gettext("Bad request: the address contains a control character.")


def _refused(response):
    return response.status_code == 400 and response.content.decode() == REFUSAL


@pytest.mark.parametrize(
    "path",
    [
        "/pedidos/\x00/",
        "/pedidos/%00/",
        "/pedidos/A1%00/",
        "/comissoes/1%00/",
        "/admin/orders/order/%00/change/",
        "/pedidos/%1b/",
        "/pedidos/%0d%0a/",
        "/pedidos/%7f/",
    ],
)
def test_a_control_character_in_the_path_answers_400_before_any_view(path, client_for, alice):
    assert _refused(client_for(alice).get(path))


@pytest.mark.parametrize(
    "query", ["q=%00", "q=\x00", "status=a%00b", "%00=1", "reseller=1&q=x\x00y"]
)
def test_a_nul_byte_in_a_query_string_answers_400(query, client_for, alice, stella):
    assert _refused(client_for(alice).get(f"/pedidos/?{query}"))
    assert _refused(client_for(stella).get(f"/admin/orders/order/?{query}"))


@pytest.mark.parametrize("path", ["/pedidos/", "/comissoes/", "/colaboradores/"])
def test_a_nul_byte_in_a_list_filter_answers_400_before_the_filter_form(path, client_for, alice):
    # The filter forms would refuse it too; nothing else that reads the query string would.
    assert _refused(client_for(alice).get(path, {"customer": "a\x00b"}))


def test_an_anonymous_request_with_a_nul_byte_is_refused_too(client):
    assert _refused(client.get("/pedidos/%00/"))


@pytest.mark.parametrize("query", ["q=%2500", "q=a%09b", "q=%0A", "q=%25"])
def test_an_escaped_percent_or_a_tab_in_a_search_is_ordinary_text(query, client_for, alice):
    # "%2500" is the text "%00", not a NUL; a pasted tab or newline is harmless in a search.
    response = client_for(alice).get(f"/pedidos/?{query}")
    assert response.status_code == 200


def test_a_real_order_number_still_opens(client_for, account_a, alice):
    order = OrderFactory(account=account_a)
    assert client_for(alice).get(f"/pedidos/{order.number}/").status_code == 200


def test_the_guard_runs_before_the_session_and_the_database(django_assert_num_queries, client, db):
    with django_assert_num_queries(0):
        assert _refused(client.get("/pedidos/%00/?q=%00"))
    guard = "portal.input_guard.ControlCharacterMiddleware"
    assert django_settings.MIDDLEWARE.index(guard) < django_settings.MIDDLEWARE.index(
        "django.contrib.sessions.middleware.SessionMiddleware"
    )


def test_a_nul_byte_over_real_http_answers_400_not_500(live_server, client, alice):
    """The test client decodes the path itself; a real server hands Django what the wire
    carried, so one request goes through the live server, signed in as alice."""
    client.force_login(alice.user, backend="django.contrib.auth.backends.ModelBackend")
    cookies = {django_settings.SESSION_COOKIE_NAME: client.cookies["sessionid"].value}
    with httpx.Client(base_url=live_server.url, cookies=cookies) as http:
        assert http.get("/pedidos/").status_code == 200  # signed in: the guard is what answers
        for path in ("/pedidos/%00/", "/pedidos/?q=%00", "/admin/orders/order/?status=%00"):
            response = http.get(path)
            assert response.status_code == 400, path
            assert response.text == REFUSAL, path


# Form bodies: Django's form fields refuse NUL themselves (ProhibitNullCharactersValidator).


@pytest.mark.parametrize(
    "data",
    [
        {"version": "\x00", "modules": [Module.ORDERS]},
        {"version": "0", "modules": ["\x00"]},
        {"version": "0", "modules": [f"{Module.ORDERS}\x00"], "is_admin": "\x00"},
        {"version": str(10**30), "modules": [Module.ORDERS]},
    ],
)
def test_a_nul_byte_posted_to_the_collaborator_form_is_a_form_error_not_a_500(
    data, client_for, alice
):
    collaborator = CollaboratorFactory(user=UserFactory(), reseller=alice.reseller)
    response = client_for(alice).post(f"/colaboradores/{collaborator.pk}/", data)
    assert response.status_code == 400
    assert response.context["form"].errors
    stored = Collaborator.objects.get(pk=collaborator.pk)
    assert (stored.version, stored.is_admin, list(stored.grants.all())) == (
        collaborator.version,
        False,
        [],
    )


def test_a_refused_address_is_logged_as_one_security_event(client, db, caplog):
    caplog.set_level("INFO", logger="portal.security")

    response = client.get("/pedidos/%00/", {"q": "x"})

    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "portal.security"]
    assert record.getMessage() == "control_character_refused"
    assert record.path == "/pedidos/\x00/"
    assert record.request_id == response["X-Request-ID"]

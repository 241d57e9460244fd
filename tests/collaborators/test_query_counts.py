"""The Colaboradores pages run a constant number of queries whatever the row count:
measured with 5 collaborators and again with 60, each with modules, the counts must be equal."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collaborators.models import AccessChange
from collaborators.modules import Module
from tests.factories import CollaboratorFactory

LIST = reverse("collaborators:list")
HTMX = {"HX-Request": "true", "HX-Target": "list-results"}
FILTERS = {"user": "example", "per_page": "100"}
MODULE_SETS = ([], [Module.ORDERS], [Module.ORDERS, Module.NF_REPORT], list(Module))


def make_collaborators(reseller, count, start=0):
    for i in range(start, start + count):
        CollaboratorFactory(
            reseller=reseller,
            user__email=f"pessoa{i}@example.com",
            is_admin=i % 7 == 0,
            is_active=i % 5 != 0,
            modules=MODULE_SETS[i % len(MODULE_SETS)],
        )


def count_queries(client, url, params=None, headers=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {}, headers=headers or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, response.status_code
    return len(queries), response


PAGES = {
    "list": (FILTERS, None),
    "list, by access": ({**FILTERS, "access": Module.ORDERS}, None),
    "list, sorted by e-mail": ({**FILTERS, "sort": "-email"}, None),
    "htmx partial": (FILTERS, HTMX),
    "export": ({**FILTERS, "export": "xlsx"}, None),
}


@pytest.mark.parametrize("page", PAGES)
def test_the_list_runs_the_same_queries_for_5_and_60_collaborators(
    page, client_for, alice, reseller_a
):
    params, headers = PAGES[page]
    client = client_for(alice)
    make_collaborators(reseller_a, 5)
    client.get(LIST)
    small, response = count_queries(client, LIST, params, headers)
    if not response.streaming and "access" not in params:
        assert len(response.context["table"].page.object_list) == 6  # alice and 5 more
    make_collaborators(reseller_a, 55, start=5)
    large, response = count_queries(client, LIST, params, headers)
    if not response.streaming and "access" not in params:
        assert len(response.context["table"].page.object_list) == 61
    assert small == large, f"{page}: {small} queries with 5 collaborators, {large} with 60"


def test_a_non_admin_managers_list_runs_the_same_queries_for_5_and_60_collaborators(
    client_for, carla, reseller_a
):
    # Whether a row offers deactivation depends on its modules and the manager's: both loaded.
    client = client_for(carla)
    make_collaborators(reseller_a, 5)
    client.get(LIST)
    small, _response = count_queries(client, LIST, FILTERS)
    make_collaborators(reseller_a, 55, start=5)
    large, _response = count_queries(client, LIST, FILTERS)
    assert small == large, f"{small} queries with 5 collaborators, {large} with 60"


def test_the_list_runs_a_known_number_of_queries(client_for, alice, reseller_a):
    """Session, user, collaborator (+ modules), the page of collaborators with their users, and
    their modules. A change here is worth a look."""
    client = client_for(alice)
    make_collaborators(reseller_a, 12)
    client.get(LIST)
    queries, _response = count_queries(client, LIST, FILTERS)
    assert queries <= 6, queries


def test_the_edit_page_runs_the_same_queries_with_a_long_history(client_for, alice, olga):
    client = client_for(alice)
    url = reverse("collaborators:edit", args=[olga.pk])
    AccessChange.objects.create(collaborator=olga, changed_by=alice.user, reason="r")
    client.get(url)
    short, _response = count_queries(client, url)
    for i in range(80):
        AccessChange.objects.create(
            collaborator=olga, changed_by=alice.user, after={"modules": ["orders"]}, reason=str(i)
        )
    long, _response = count_queries(client, url)
    assert short == long

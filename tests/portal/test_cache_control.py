"""No shared or browser cache keeps what a signed-in user saw or downloaded.

The URLs come from the resolver (as in test_url_roles), so a new view is covered the day it is
routed: whatever it answers a signed-in user carries `Cache-Control: private, no-store`.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.cache_control import PrivateNoStoreMiddleware
from tests.portal.test_url_roles import _reverse, _url_names
from tests.portal.test_url_roles import sample_data as sample_data  # a fixture


def directives(response):
    header = response.get("Cache-Control", "")
    return {part.strip().split("=")[0].lower() for part in header.split(",") if part.strip()}


def assert_private_no_store(response, where):
    got = directives(response)
    assert {"private", "no-store"} <= got, (
        f"{where}: Cache-Control is {response.get('Cache-Control')!r}"
    )
    assert "public" not in got, where


@pytest.fixture
def signed_in(alice, stella):
    clients = {}
    for role, who in {"reseller admin": alice.user, "staff": stella}.items():
        client = Client()
        client.force_login(who, "django.contrib.auth.backends.ModelBackend")
        clients[role] = client
    return clients


@pytest.mark.parametrize("name", _url_names())
def test_every_page_a_signed_in_user_sees_is_kept_out_of_caches(name, signed_in, sample_data):
    url = _reverse(name, sample_data)
    for role, client in signed_in.items():
        # Whatever the answer (a page, a redirect, a 403, a 404), it is the user's own.
        assert_private_no_store(client.get(url), f"{name} as {role}")


@pytest.mark.parametrize("name", ["orders:list", "commissions:list", "collaborators:list"])
def test_an_xlsx_export_is_kept_out_of_caches(name, client_for, alice):
    response = client_for(alice).get(reverse(name), {"export": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert_private_no_store(response, name)


@pytest.mark.parametrize("kind", ["pdf", "xml"])
def test_an_nf_file_download_is_kept_out_of_caches(kind, client_for, alice, sample_data):
    invoice = sample_data["invoice"]
    invoice.xml.save("nfe.xml", ContentFile(b"<nfe/>"))
    url = reverse("orders:invoice_file", kwargs={"pk": invoice.pk, "kind": kind})

    response = client_for(alice).get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert_private_no_store(response, url)


def test_a_file_sent_to_an_anonymous_visitor_is_kept_out_of_caches():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    download = {"Content-Disposition": 'attachment; filename="r.xlsx"'}
    middleware = PrivateNoStoreMiddleware(lambda request: HttpResponse(b"x", headers=download))

    assert_private_no_store(middleware(request), "an attachment")


def test_a_view_s_public_caching_does_not_survive_for_a_signed_in_user(alice):
    request = RequestFactory().get("/")
    request.user = alice.user

    def view(request):
        response = HttpResponse("the user's page")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    response = PrivateNoStoreMiddleware(view)(request)

    assert_private_no_store(response, "a public page")


def test_an_anonymous_page_is_left_alone():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    response = PrivateNoStoreMiddleware(lambda request: HttpResponse("hello"))(request)

    assert "Cache-Control" not in response

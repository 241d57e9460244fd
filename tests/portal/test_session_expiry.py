"""Sessions end on the server after SESSION_IDLE_TIMEOUT idle seconds and SESSION_MAX_AGE seconds
after the login, for reseller users and for staff in the admin.

The clock is driven, never waited for: the tests age a session by editing its stamps, or move
`portal.session_expiry.now`.
"""

import logging

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from portal import session_expiry
from portal.session_expiry import SEEN, STARTED

IDLE, MAX_AGE = 2 * 60 * 60, 12 * 60 * 60
T0 = 1_900_000_000


@pytest.fixture(autouse=True)
def timeouts(settings):
    settings.SESSION_IDLE_TIMEOUT = IDLE
    settings.SESSION_MAX_AGE = MAX_AGE


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        at = T0

    monkeypatch.setattr(session_expiry, "now", lambda: Clock.at)
    return Clock


def expired_message():
    with translation.override("pt-br"):
        return escape(gettext("Your session expired. Please sign in again."))


def stamps(client):
    session = client.session
    return session.get(STARTED), session.get(SEEN)


def set_stamps(client, *, started, seen):
    session = client.session
    session[STARTED], session[SEEN] = started, seen
    session.save()


def signed_in(client_for, who, clock):
    client = client_for(who)
    assert client.get(reverse("home")).status_code in (200, 302)
    assert stamps(client) == (T0, T0)
    return client


def test_a_session_idle_for_longer_than_the_timeout_is_signed_out_with_a_message(
    client_for, alice, clock, caplog
):
    client = signed_in(client_for, alice, clock)
    old_key = client.session.session_key
    clock.at = T0 + IDLE

    with caplog.at_level(logging.INFO, logger="portal.security"):
        response = client.get(reverse("orders:list"), {"status": "placed"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login") + "?next=")
    assert "pedidos" in response.url
    assert expired_message() in client.get(response.url).content.decode()
    # Gone on the server, not only in this browser: the old cookie opens nothing.
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.get(reverse("home")).status_code == 302
    [record] = [r for r in caplog.records if r.getMessage() == "session_expired"]
    assert record.reason == "idle" and record.user_id == alice.user.pk


def test_a_stolen_cookie_replayed_after_the_idle_timeout_opens_nothing(
    client_for, alice, clock, settings
):
    client = signed_in(client_for, alice, clock)
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    clock.at = T0 + IDLE + 1

    response = thief.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_session_older_than_its_lifetime_ends_even_when_busy(client_for, alice, clock):
    client = signed_in(client_for, alice, clock)
    # Busy all day: a request every half hour keeps the activity stamp fresh.
    while clock.at + 30 * 60 < T0 + MAX_AGE:
        clock.at += 30 * 60
        assert client.get(reverse("home")).status_code == 200
    clock.at = T0 + MAX_AGE

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert expired_message() in client.get(response.url).content.decode()


def test_a_session_used_within_the_timeout_stays_open(client_for, alice, clock):
    client = signed_in(client_for, alice, clock)
    clock.at = T0 + IDLE - 1

    assert client.get(reverse("home")).status_code == 200
    assert stamps(client) == (T0, T0 + IDLE - 1)


def test_the_activity_stamp_is_written_at_most_once_a_minute(client_for, alice, clock):
    client = signed_in(client_for, alice, clock)

    def session_writes():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return [
            q["sql"]
            for q in queries.captured_queries
            if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
        ]

    clock.at = T0 + session_expiry.ACTIVITY_RESOLUTION - 1
    assert session_writes() == []
    assert stamps(client) == (T0, T0)

    clock.at = T0 + session_expiry.ACTIVITY_RESOLUTION
    assert len(session_writes()) >= 1
    assert stamps(client) == (T0, T0 + session_expiry.ACTIVITY_RESOLUTION)


def test_an_htmx_request_of_an_expired_session_is_sent_to_the_login_page_whole(
    client_for, alice, clock
):
    client = signed_in(client_for, alice, clock)
    clock.at = T0 + IDLE

    response = client.get(
        reverse("orders:list"),
        {"page": "2"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/pedidos/?page=2"},
    )

    # A plain redirect would swap the login page into a fragment of the page.
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login") + "?next=")
    assert "pedidos" in response["HX-Redirect"]


def test_staff_idle_in_the_admin_are_signed_out_to_the_admin_login(client_for, stella, clock):
    client = client_for(stella)
    assert client.get(reverse("admin:index")).status_code == 200
    clock.at = T0 + IDLE

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login") + "?next=")
    assert expired_message() in client.get(response.url).content.decode()


def test_a_post_from_an_expired_session_changes_nothing(client_for, alice, bob, clock):
    client = signed_in(client_for, alice, clock)
    clock.at = T0 + IDLE
    url = reverse("collaborators:deactivate", kwargs={"pk": bob.pk})

    response = client.post(url)

    assert response.status_code == 302
    assert response.url == reverse("account_login")
    bob.refresh_from_db()
    assert bob.is_active


def test_signing_in_again_starts_a_new_lifetime(client, stella, clock):
    stella.set_password("s3cret-staff-pw")
    stella.save()
    login = {"username": stella.email, "password": "s3cret-staff-pw"}
    assert client.post(reverse("admin:login"), login).status_code == 302
    assert stamps(client) == (T0, T0)
    clock.at = T0 + MAX_AGE
    assert client.get(reverse("admin:index")).status_code == 302

    assert client.post(reverse("admin:login"), login).status_code == 302

    assert stamps(client) == (T0 + MAX_AGE, T0 + MAX_AGE)
    assert client.get(reverse("admin:index")).status_code == 200

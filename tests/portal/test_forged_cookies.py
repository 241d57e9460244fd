"""A cookie signed with a known key must not put markup on a page or sign anyone in.

Django's cookie message storage trusts a "safe string" flag inside its signed cookie, so whoever
knows the key (the demo's placeholder was public) could render any HTML. Messages now live in the
server-side session: no messages cookie is read at all, whatever key signed it.
"""

import json

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core import signing
from django.test import RequestFactory
from django.urls import reverse
from django.utils.safestring import mark_safe

OLD_PLACEHOLDER = "insecure-demo-key-set-SECRET_KEY-in-production"
MARKER = "forged-by-the-attacker"
PAYLOAD = f'<img src="x" id="{MARKER}" onerror="alert(document.cookie)">'


def forged_messages_cookie(settings, key):
    """The cookie Django's CookieStorage would write for a message marked safe, signed with key."""
    real_key = settings.SECRET_KEY
    settings.SECRET_KEY = key
    try:
        storage = CookieStorage(RequestFactory().get("/"))
        return storage._encode([Message(constants.ERROR, mark_safe(PAYLOAD))])
    finally:
        settings.SECRET_KEY = real_key


def keys(settings):
    return {"old placeholder": OLD_PLACEHOLDER, "real key": settings.SECRET_KEY}


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["old placeholder", "real key"])
def test_a_forged_messages_cookie_renders_no_markup_on_the_login_page(client, settings, which):
    client.cookies["messages"] = forged_messages_cookie(settings, keys(settings)[which])

    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    assert MARKER not in response.content.decode()


@pytest.mark.parametrize("which", ["old placeholder", "real key"])
def test_a_forged_messages_cookie_renders_no_markup_for_a_signed_in_user(
    client_for, alice, settings, which
):
    client = client_for(alice)
    client.cookies["messages"] = forged_messages_cookie(settings, keys(settings)[which])

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert MARKER not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["old placeholder", "real key"])
def test_a_forged_signed_session_cookie_neither_signs_in_nor_renders_markup(
    client, alice, settings, which
):
    """A session cookie is only a random key to a row on the server, never signed data: a
    cookie-backed session signed with a known key is an unknown key, so an empty session."""
    forged = signing.dumps(
        {
            "_auth_user_id": str(alice.user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            # As SessionStorage keeps them: the 1 marks the text as safe.
            "_messages": json.dumps([["__json_message", 1, constants.ERROR, PAYLOAD]]),
        },
        key=keys(settings)[which],
        salt="django.contrib.sessions.backends.signed_cookies",
        compress=True,
    )
    client.cookies[settings.SESSION_COOKIE_NAME] = forged

    home = client.get(reverse("home"))
    login = client.get(reverse("account_login"))

    assert home.status_code == 302 and home.url.startswith(reverse("account_login"))
    assert MARKER not in login.content.decode()

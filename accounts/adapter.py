import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.backends import login_key
from portal import security
from portal.security import client_ip


def typed_login(credentials):
    return credentials.get("email", credentials.get("username", ""))


class AccountAdapter(DefaultAccountAdapter):
    """New users come from the e-commerce store, never from a sign-up form. The portal's login
    and the Django admin's (accounts.forms.StaffLoginForm) both count failures here."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # Generic on purpose: it must not tell which of the two fields was wrong.
        "email_password_mismatch": _("User name or password is incorrect."),
    }

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request):
        # The per-IP login limit counts the client, not the load balancer in front of it.
        return client_ip(request)

    def _get_login_attempts_cache_key(self, request, **credentials):
        # allauth prefixes the login with the site's domain, which without the sites framework
        # is the request's Host header as sent: "HOST:1", "HOST." and "host" would each get a
        # fresh budget for the same account. One portal, one budget per login.
        return login_key(typed_login(credentials))

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            security.event("login_locked_out", request, login=typed_login(credentials))
            raise

    def authentication_failed(self, request, **credentials):
        security.event(
            "login_failed", request, login=typed_login(credentials), reason="wrong_credentials"
        )

    def login(self, request, user):
        super().login(request, user)
        security.event("login_succeeded", request, level=logging.INFO, user=user)

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import gettext_lazy as _

from portal.security import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """New users come from the e-commerce store, never from a sign-up form."""

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

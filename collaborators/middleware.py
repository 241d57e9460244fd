from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from collaborators.models import Collaborator


class CollaboratorMiddleware:
    """Loads the user's collaborator once per request and signs out deactivated ones.

    Permission changes therefore take effect at the collaborator's next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.collaborator = None
        user = request.user
        if user.is_authenticated:
            collaborator = (
                Collaborator.objects.select_related("reseller")
                .prefetch_related("grants")
                .filter(user=user)
                .first()
            )
            if collaborator is not None:
                user.collaborator = collaborator
                request.collaborator = collaborator
                if not collaborator.is_active:
                    logout(request)
                    messages.error(
                        request,
                        _(
                            "Your access to the portal was deactivated. "
                            "Ask your reseller's administrator."
                        ),
                    )
                    login_url = reverse("account_login")
                    if getattr(request, "htmx", False):
                        # A plain redirect would swap the login page into a fragment of the page.
                        return HttpResponseClientRedirect(login_url)
                    return redirect(login_url)
        return self.get_response(request)

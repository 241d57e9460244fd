"""Sessions end on the server: after SESSION_IDLE_TIMEOUT seconds without a request, and
SESSION_MAX_AGE seconds after the login whatever the activity.

A cookie's expiry is up to the browser, and a stolen cookie has none; the stamps kept in the
session are not. They are epoch seconds, so a test can age a session by editing them.
"""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from portal import security

STARTED = "_portal_session_started"
SEEN = "_portal_session_seen"
# The activity stamp is written at most this often, so that a burst of requests does not write
# the session each time. An idle session may therefore end up to this much before the timeout.
ACTIVITY_RESOLUTION = 60


def now():
    """Epoch seconds; the tests move this clock."""
    return int(time.time())


def _stamp(session, key):
    value = session.get(key)
    return value if isinstance(value, int) else None


class SessionExpiryMiddleware:
    """Signs out a session that has been idle too long or has lived too long, says why on the
    login page, and keeps the activity stamp current."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user_id = request.user.pk if request.user.is_authenticated else None
        if user_id is not None:
            moment = now()
            started, seen = _stamp(request.session, STARTED), _stamp(request.session, SEEN)
            if started is not None:
                seen = started if seen is None else seen
                if moment - started >= settings.SESSION_MAX_AGE:
                    return self._expire(request, reason="lifetime", age=moment - started)
                if moment - seen >= settings.SESSION_IDLE_TIMEOUT:
                    return self._expire(request, reason="idle", idle=moment - seen)
                if moment - seen >= ACTIVITY_RESOLUTION:
                    request.session[SEEN] = moment
        response = self.get_response(request)
        # A session signed in by this very request (a login flushes or cycles the session), by
        # force_login, or before this middleware existed starts its clock now.
        user = request.user
        if user.is_authenticated and (
            user.pk != user_id or _stamp(request.session, STARTED) is None
        ):
            request.session[STARTED] = request.session[SEEN] = now()
        return response

    @staticmethod
    def _expire(request, *, reason, **fields):
        security.event("session_expired", request, level=logging.INFO, reason=reason, **fields)
        logout(request)
        messages.warning(request, _("Your session expired. Please sign in again."))
        admin_prefix = reverse("admin:index")
        login_url = reverse(
            "admin:login" if request.path_info.startswith(admin_prefix) else "account_login"
        )
        # This runs before HtmxMiddleware has set request.htmx.
        htmx = HtmxDetails(request)
        if htmx:
            # A plain redirect would swap the login page into a fragment of the page.
            back = htmx.current_url_abs_path
            target = redirect_to_login(back, login_url).url if back else login_url
            return HttpResponseClientRedirect(target)
        if request.method == "GET" and request.path != login_url:
            return redirect_to_login(request.get_full_path(), login_url)
        return redirect(login_url)

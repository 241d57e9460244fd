"""Refuses, before any view runs, addresses that no page of the portal can mean.

PostgreSQL cannot hold a NUL character in a string, so a NUL that reaches a query makes the
database raise and the request answer 500; SQLite stores it, which is why only PostgreSQL shows
the hole. Rather than have every view and filter defend itself, a request is refused here:

- the path with any C0 control character or DEL, raw or percent-encoded: no route, order number
  or object id contains one;
- the query string with a NUL, raw or percent-encoded. Other control characters stay allowed
  there: a tab pasted into a search box is harmless text that the database stores and compares.

Lengths are not bounded here: a long value costs a comparison, not an error, and the HTTP server
in front already bounds the request line. Form bodies need no check of their own: every Django
form field that takes text refuses NUL (ProhibitNullCharactersValidator).
"""

import re
from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

from portal import security

_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")


def _has_nul(query_string):
    # One round of percent-decoding, as QueryDict does: "%2500" is the text "%00", not a NUL.
    return "\x00" in query_string or b"\x00" in unquote_to_bytes(query_string)


class ControlCharacterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _CONTROL_IN_PATH.search(request.path) or _has_nul(request.META.get("QUERY_STRING", "")):
            security.event(
                "control_character_refused", request, query=request.META.get("QUERY_STRING", "")
            )
            return HttpResponseBadRequest(
                _("Bad request: the address contains a control character."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

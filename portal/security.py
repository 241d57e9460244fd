"""The security log: one structured line per security event, and what every line carries.

`event()` writes one line on the `portal.security` logger. Each line carries the event's name, the
login or the user id, the client's IP address (proxy-aware, see `client_ip`), the request id and
the UTC time. The formatter (structlog's, configured in settings.LOGGING) renders JSON lines in
production and readable lines in the demo.

Events never carry a password, a token or a body received from outside: callers pass named
fields, and any field whose name says it holds a secret is dropped here, whatever its value.
"""

import ipaddress
import logging
import re
import uuid

import structlog
from django.conf import settings

log = logging.getLogger("portal.security")

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from the load balancer is kept only if it looks like one: it ends up in every log
# line of the request, so it must not carry newlines, markup or a megabyte of text.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_SECRET_FIELD = re.compile(r"pass|secret|token|key|cookie|authorization", re.IGNORECASE)
# Names a LogRecord already uses; a field called so is renamed rather than refused by logging.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Text fields come from the outside (a typed login, a path); a log line stays one short line.
MAX_FIELD_LENGTH = 300


def client_ip(request):
    """The address of the client that sent `request`.

    Behind a load balancer (`BEHIND_PROXY`), REMOTE_ADDR is the balancer's, the same for every
    user, so a per-IP limit on it would let one attacker lock everyone out. Each of the
    `TRUSTED_PROXY_COUNT` proxies in front of the portal appends the address it received the
    request from to X-Forwarded-For; the entry that many places from the end is the client's.
    Entries to its left were written by the client and are not believed.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    count = settings.TRUSTED_PROXY_COUNT if settings.BEHIND_PROXY else 0
    if count > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "")[:2000].split(",")
            if part.strip()
        ]
        if forwarded:
            candidate = forwarded[-count] if len(forwarded) >= count else forwarded[0]
            if address := _address(candidate):
                return address
    return _address(remote) or "unknown"


def _address(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _clip(value):
    if isinstance(value, str) and len(value) > MAX_FIELD_LENGTH:
        return value[:MAX_FIELD_LENGTH] + "…"
    return value


def event(name, request=None, /, *, level=logging.WARNING, login=None, user=None, **fields):
    """Logs the security event `name` as one line.

    `login` is what was typed into a login form; `user` the user the event is about (defaults to
    the request's authenticated user). Other fields are logged as given, minus any whose name
    suggests a secret.
    """
    data = {
        (f"{key}_" if key in _RECORD_ATTRIBUTES else key): _clip(value)
        for key, value in fields.items()
        if not _SECRET_FIELD.search(key)
    }
    if login is not None:
        data["login"] = _clip(str(login).strip().lower())
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    if user is not None:
        data["user_id"] = user.pk
    if request is not None:
        data["ip"] = client_ip(request)
        data["request_id"] = getattr(request, "request_id", None)
        data.setdefault("method", request.method)
        data.setdefault("path", _clip(request.path))
        # The middleware logs a bare 403 only when nothing more precise was said about it.
        request._security_event_logged = True
    log.log(level, name, extra=data)


class RequestIdMiddleware:
    """Gives every request an id, returned in the X-Request-ID header and carried by every log
    line written while the request is served; logs a 403 that no event explained."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = self._request_id(request)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request.request_id, ip=client_ip(request))
        try:
            response = self.get_response(request)
            if response.status_code == 403 and not getattr(
                request, "_security_event_logged", False
            ):
                event("forbidden", request, status=403)
            response[REQUEST_ID_HEADER] = request.request_id
            return response
        finally:
            structlog.contextvars.clear_contextvars()

    @staticmethod
    def _request_id(request):
        if settings.BEHIND_PROXY:
            given = request.headers.get(REQUEST_ID_HEADER, "")
            if _REQUEST_ID.fullmatch(given):
                return given
        return uuid.uuid4().hex


def formatter(fmt):
    """The logging formatter for LOG_FORMAT: "json" lines, or readable "console" lines."""
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if fmt == "json" else _keep,
            renderer,
        ],
    )


def _keep(logger, method_name, event_dict):
    return event_dict

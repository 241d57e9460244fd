"""ASGI entry point: the live chat's WebSocket path only. Pages are served by gunicorn over WSGI.

Every view is synchronous. Under an ASGI server, Django runs each request's sync code in a
thread of its own; a persistent connection belongs to its thread, so with DB_CONN_MAX_AGE > 0
connections pile up until PostgreSQL refuses new clients, and the thread hops make the pages
slower than on gunicorn's sync workers. So this application does not route HTTP to Django:

- `GET /healthz` answers 200 "ok" without touching the database, for the load balancer's health
  check of the WebSocket servers;
- every other HTTP request answers 404, so a misrouted load-balancer rule shows at once instead
  of quietly serving pages from the slow path.

Run it as `.venv/bin/uvicorn portal.asgi:application` (or any ASGI server) behind the load
balancer's WebSocket route. See README.md, "Serving".
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Channels runs a consumer's database code in worker threads: the same thread-bound connections.
# Forced, not defaulted, so that an environment shared with the gunicorn servers (which set
# DB_CONN_MAX_AGE=60) cannot turn it back on here.
os.environ["DB_CONN_MAX_AGE"] = "0"
django.setup()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the apps loaded)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

HEALTH_PATH = "/healthz"

# The chat adds its consumers here, e.g. path("ws/chat/<int:pk>/", ChatConsumer.as_asgi()).
websocket_urlpatterns = []


async def http_outside_the_chat(scope, receive, send):
    """Answers HTTP without Django: a health check, or 404 for everything else."""
    if scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
        status, body = 200, b"ok\n"
    else:
        status, body = 404, b"Not found: this server answers the chat's WebSocket only.\n"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


application = ProtocolTypeRouter(
    {
        "http": http_outside_the_chat,
        # Session login, and only from pages of ALLOWED_HOSTS: a WebSocket is not bound by the
        # same-origin policy, so another site could otherwise open one with the user's cookie.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

"""A real HTTP server that plays the e-commerce store, for tests of `accounts.store.HttpStore`.

It implements the contract in README.md ("E-commerce store contract") on 127.0.0.1, on a port
the OS picks, and can be told to misbehave in every way the portal must survive. Nothing here
mocks the client: the portal's code opens a socket and speaks HTTP to this server.

    with EcommerceServer() as server:
        server.add_user("ana@revenda.example", "secret-123", is_admin=True)
        server.fail_with(503)           # every answer is now a 503
        server.answer_after(10)         # ... or arrives after the client gave up
        server.redirect_to(other.url)   # ... or sends the client elsewhere
        server.reset()                  # back to the contract

It speaks plain HTTP, or HTTPS with `EcommerceServer(tls=make_certificate(folder))`.
The `ecommerce_server` fixture in tests/conftest.py starts one and points the settings at it.
"""

import base64
import json
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.factories import make_cnpj

CLIENT_ID = "partner-portal"
CLIENT_SECRET = "client-secret-for-tests"


@dataclass
class StoreUser:
    login: str
    password: str
    email: str
    name: str
    is_admin: bool
    reseller: dict
    accounts: list
    status: str = "active"  # "active", "inactive" or "locked"

    def answer(self):
        return {
            "user": {
                "login": self.login,
                "email": self.email,
                "name": self.name,
                "is_admin": self.is_admin,
            },
            "reseller": self.reseller,
            "accounts": self.accounts,
        }


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def client_credentials(self):
        """(client id, secret) from the Basic Authorization header, or None."""
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return None
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        return client_id, secret


@dataclass
class _Behaviour:
    """How the server answers; the default is the contract."""

    status: int | None = None  # a fixed status for every answer
    body: bytes | None = None  # a fixed body for every answer
    delay: float = 0  # seconds to wait before answering
    close: bool = False  # close the connection without answering
    trickle: bool = False  # send headers, then the body one byte at a time, slowly
    trickle_headers: int = 0  # send a header this long one byte at a time, slowly
    headers: dict = field(default_factory=dict)


class EcommerceServer:
    path = "/api/portal/authenticate"

    def __init__(self, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, tls=None):
        self.client_id = client_id
        self.client_secret = client_secret
        self.users = {}
        self.requests = []
        self._behaviour = _Behaviour()
        # Set at shutdown so that handlers sleeping on a delay let go at once.
        self._released = threading.Event()
        self._lock = threading.Lock()
        # What a slow answer saw: the client hung up before the answer was out, or it all went.
        self.client_hung_up = threading.Event()
        self.answer_finished = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A client that refuses the certificate or hangs up mid-request is what the tests do.
        self._httpd.handle_error = lambda request, client_address: None
        self.scheme = "http"
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(tls.certificate, tls.key)
            # The handshake happens in the request's thread, so a client that refuses the
            # certificate never blocks the accepting loop.
            self._httpd.socket = context.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
            self.scheme = "https"
        # A short poll keeps shutdown (and so each test's teardown) from waiting half a second.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self):
        host, port = self._httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}{self.path}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._released.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # The store's users.

    def add_user(
        self,
        login,
        password,
        *,
        email=None,
        name="Pessoa da Revenda",
        is_admin=False,
        reseller=None,
        accounts=None,
        status="active",
    ):
        reseller = reseller or {
            "cnpj": make_cnpj(44_000_001),
            "name": "Revenda HTTP Ltda.",
            "code": "M000000000HT",
        }
        if accounts is None:
            accounts = [
                {"code": "A00000000HT1", "cnpj": make_cnpj(44_000_001), "name": "Matriz"},
                {"code": "A00000000HT2", "cnpj": make_cnpj(44_000_001, 2), "name": "Filial"},
            ]
        user = StoreUser(
            login=login,
            password=password,
            email=email or login,
            name=name,
            is_admin=is_admin,
            reseller=reseller,
            accounts=accounts,
            status=status,
        )
        self.users[login.lower()] = user
        return user

    # Knobs: each one replaces the contract's answers until `reset()`.

    def reset(self):
        self._behaviour = _Behaviour()
        self.client_hung_up.clear()
        self.answer_finished.clear()

    def fail_with(self, status, body=b'{"error": "internal"}'):
        self._behaviour = _Behaviour(status=status, body=body)

    def answer_raw(self, body, status=200, content_type="application/json", headers=None):
        """Answers every request with these bytes, say malformed JSON."""
        self._behaviour = _Behaviour(
            status=status, body=body, headers={"Content-Type": content_type, **(headers or {})}
        )

    def answer_json(self, payload, status=200):
        """Answers every request with this document, say one missing a field."""
        self.answer_raw(json.dumps(payload).encode(), status=status)

    def answer_after(self, seconds):
        """Answers correctly, but only after `seconds`; longer than the client's timeout."""
        self._behaviour = _Behaviour(delay=seconds)

    def trickle_answer(self, seconds_per_byte):
        """Sends the headers at once and then the body a byte at a time, each under the
        client's timeout, so that only a deadline on the whole answer stops the client."""
        self._behaviour = _Behaviour(delay=seconds_per_byte, trickle=True)

    def trickle_headers(self, seconds_per_byte, length):
        """Sends the status line at once and then a header `length` bytes long, a byte at a time,
        each under the client's per-read timeout: only a deadline on the whole exchange, headers
        included, stops the client before the answer is out. `client_hung_up` and
        `answer_finished` tell which came first."""
        self._behaviour = _Behaviour(delay=seconds_per_byte, trickle_headers=length)

    def redirect_to(self, location, status=302):
        """Answers every request with a redirect to `location`."""
        self._behaviour = _Behaviour(status=status, body=b"", headers={"Location": location})

    def close_connections(self):
        """Reads the request and hangs up without a word."""
        self._behaviour = _Behaviour(close=True)

    # What the contract answers.

    def _answer(self, seen):
        if seen.method != "POST" or seen.path != self.path:
            return 404, {"error": "not_found"}
        if seen.client_credentials != (self.client_id, self.client_secret):
            # The portal's own credentials are wrong: a configuration error, not the user's.
            return 401, {"error": "invalid_client"}
        try:
            data = seen.json
            login, password = data["login"], data["password"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "bad_request"}
        user = self.users.get(str(login).lower())
        if user is None or user.password != password:
            return 401, {"error": "invalid_credentials"}
        if user.status != "active":
            return 403, {"error": user.status}
        return 200, user.answer()


@dataclass(frozen=True)
class Certificate:
    certificate: str  # the server's certificate, for 127.0.0.1
    key: str
    authority: str  # the certificate of the authority that signed it, for the client to trust


def make_certificate(folder):
    """Makes a certificate authority and a certificate it signs for 127.0.0.1, with the
    `openssl` command, in `folder`."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the HTTPS tests need the openssl command")
    folder = str(folder)
    ca_key, ca_cert = f"{folder}/ca.key", f"{folder}/ca.pem"
    key, csr, cert = f"{folder}/server.key", f"{folder}/server.csr", f"{folder}/server.pem"
    extensions = f"{folder}/server.ext"
    with open(extensions, "w") as file:
        file.write(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=IP:127.0.0.1\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid\n"
        )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        [openssl, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_cert, "-days", "2"]
        + ["-subj", "/CN=Test store CA", "-addext", "basicConstraints=critical,CA:TRUE"]
        + ["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        [openssl, "req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        [openssl, "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key]
        + ["-CAcreateserial", "-out", cert, "-days", "2", "-extfile", extensions],
    ]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)
    return Certificate(certificate=cert, key=key, authority=ca_cert)


def use_store(settings, server, *, allow_http, timeout):
    """Points the portal's settings at `server`."""
    settings.ECOMMERCE_STORE = "http"
    settings.ECOMMERCE_ALLOW_HTTP = allow_http
    settings.ECOMMERCE_AUTH_URL = server.url
    settings.ECOMMERCE_CLIENT_ID = server.client_id
    settings.ECOMMERCE_CLIENT_SECRET = server.client_secret
    settings.ECOMMERCE_TIMEOUT = timeout


def refused_url():
    """A URL on loopback where nothing listens: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{EcommerceServer.path}"


def _handler_for(server):
    return type("Handler", (_Handler,), {"store": server})


class _Handler(BaseHTTPRequestHandler):
    """Plays the store for `store`, an EcommerceServer, as its behaviour says."""

    protocol_version = "HTTP/1.1"
    store = None

    def do_POST(self):
        self._handle()

    def do_GET(self):
        self._handle()

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        seen = SeenRequest(
            method=self.command,
            path=self.path,
            headers=dict(self.headers.items()),
            body=self.rfile.read(length),
        )
        with self.store._lock:
            self.store.requests.append(seen)
        behaviour = self.store._behaviour
        if not self._misbehaved(behaviour):
            self._answer(seen, behaviour)

    def _misbehaved(self, behaviour):
        """True when the behaviour took the answer over: a dropped connection, headers sent a
        byte at a time, or a wait the client gave up on."""
        if behaviour.close:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if behaviour.trickle_headers:
            self._trickle_headers(behaviour.trickle_headers, behaviour.delay)
            return True
        if behaviour.delay and not behaviour.trickle:
            self.store._released.wait(behaviour.delay)
            return self.store._released.is_set()
        return False

    def _answer(self, seen, behaviour):
        if behaviour.status is not None:
            status, body = behaviour.status, behaviour.body or b""
        else:
            status, payload = self.store._answer(seen)
            body = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **behaviour.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="ecommerce"')
        self.end_headers()
        if behaviour.trickle:
            self._trickle(body, behaviour.delay)
        else:
            self.wfile.write(body)

    def _trickle(self, body, seconds_per_byte):
        try:
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                if self.store._released.wait(seconds_per_byte):
                    return
        except OSError:
            pass  # the client gave up, which is the point

    def _trickle_headers(self, length, seconds_per_byte):
        self.close_connection = True
        body = b'{"error": "internal"}'
        head = b"HTTP/1.1 503 Service Unavailable\r\nX-Slow: " + b"s" * length + b"\r\n"
        tail = f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        try:
            for i in range(len(head)):
                self.wfile.write(head[i : i + 1])
                if self.store._released.wait(seconds_per_byte):
                    return
            self.wfile.write(tail + body)
        except OSError:
            # Once the client has closed its end, the next byte or two are refused.
            self.store.client_hung_up.set()
            return
        self.store.answer_finished.set()

    def log_message(self, format, *args):
        pass  # keeps the test output clean; `store.requests` records what came in

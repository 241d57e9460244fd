"""`HttpStore` against a real HTTP server on loopback (tests/ecommerce_server.py)."""

import asyncio
import gzip
import logging
import socket
import threading

import pytest
from django.core import checks

from accounts.store import (
    HttpStore,
    InactiveStoreUser,
    InvalidCredentials,
    StoreAccount,
    StoreError,
    StoreIdentity,
    get_store,
)
from portal import security
from tests.ecommerce_server import EcommerceServer, make_certificate, refused_url, use_store
from tests.factories import make_cnpj

PASSWORD = "s3nha-da-loja"


@pytest.fixture
def store_user(ecommerce_server):
    return ecommerce_server.add_user(
        "Ana@Revenda-H.example",
        PASSWORD,
        email="Ana@Revenda-H.example",
        name="Ana Araújo",
        is_admin=True,
    )


def store_errors(caplog):
    """The store failures logged, one security-log line each."""
    return [
        r
        for r in caplog.records
        if r.name == "portal.security"
        and r.getMessage() == "store_failure"
        and r.levelno == logging.ERROR
    ]


def test_the_http_store_is_chosen_by_settings(ecommerce_server):
    assert isinstance(get_store(), HttpStore)


def test_it_returns_the_identity_the_store_answers(store_user):
    identity = HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert identity == StoreIdentity(
        login="Ana@Revenda-H.example",
        email="ana@revenda-h.example",
        name="Ana Araújo",
        is_admin=True,
        reseller_cnpj=make_cnpj(44_000_001),
        reseller_name="Revenda HTTP Ltda.",
        reseller_code="M000000000HT",
        accounts=(
            StoreAccount(code="A00000000HT1", cnpj=make_cnpj(44_000_001), name="Matriz"),
            StoreAccount(code="A00000000HT2", cnpj=make_cnpj(44_000_001, 2), name="Filial"),
        ),
    )


def test_it_stores_a_formatted_cnpj_bare(ecommerce_server):
    bare = make_cnpj(44_000_077)
    formatted = f"{bare[:2]}.{bare[2:5]}.{bare[5:8]}/{bare[8:12]}-{bare[12:]}"
    ecommerce_server.add_user(
        "bia@revenda-h.example",
        PASSWORD,
        reseller={"cnpj": formatted, "name": "Revenda F", "code": "M0000000FMT"},
    )

    identity = HttpStore().authenticate("bia@revenda-h.example", PASSWORD)

    assert identity.reseller_cnpj == bare


def test_it_sends_the_client_credentials_and_the_login_as_json(ecommerce_server, store_user):
    HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    (seen,) = ecommerce_server.requests
    assert seen.method == "POST"
    assert seen.path == ecommerce_server.path
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.client_credentials == (ecommerce_server.client_id, ecommerce_server.client_secret)
    assert seen.json == {"login": "ana@revenda-h.example", "password": PASSWORD}


def test_a_wrong_password_is_invalid_credentials(store_user, caplog):
    with pytest.raises(InvalidCredentials):
        HttpStore().authenticate("ana@revenda-h.example", "wrong")
    assert store_errors(caplog) == []


def test_an_unknown_login_is_invalid_credentials(ecommerce_server):
    with pytest.raises(InvalidCredentials):
        HttpStore().authenticate("nobody@revenda-h.example", PASSWORD)


@pytest.mark.parametrize("status", ["inactive", "locked"])
def test_an_inactive_or_locked_user_is_inactive(ecommerce_server, status):
    ecommerce_server.add_user("ana@revenda-h.example", PASSWORD, status=status)

    with pytest.raises(InactiveStoreUser):
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)


def test_refused_client_credentials_are_a_configuration_error_not_a_wrong_password(
    ecommerce_server, store_user, settings, caplog
):
    settings.ECOMMERCE_CLIENT_SECRET = "not-the-secret"

    with pytest.raises(StoreError):
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    (record,) = store_errors(caplog)
    assert record.kind == "client_refused"
    assert "ECOMMERCE_CLIENT_SECRET" in record.hint


def _valid_answer():
    return {
        "user": {
            "login": "ana",
            "email": "ana@revenda-h.example",
            "name": "Ana",
            "is_admin": False,
        },
        "reseller": {"cnpj": make_cnpj(44_000_001), "name": "Revenda", "code": "M01"},
        "accounts": [{"code": "A01", "cnpj": make_cnpj(44_000_001), "name": "Matriz"}],
    }


def _without(*path):
    answer = _valid_answer()
    target = answer
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return answer


def _with(value, *path):
    answer = _valid_answer()
    target = answer
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return answer


BROKEN_STORES = {
    "HTTP 500": lambda server: server.fail_with(500),
    "HTTP 503": lambda server: server.fail_with(503, b"<html>Service Unavailable</html>"),
    "HTTP 502 without a body": lambda server: server.fail_with(502, b""),
    "an answer slower than the timeout": lambda server: server.answer_after(30),
    "an answer trickling in past the timeout": lambda server: server.trickle_answer(0.2),
    "a hang-up without an answer": lambda server: server.close_connections(),
    "malformed JSON": lambda server: server.answer_raw(b'{"user": {"login": '),
    "an HTML page with 200": lambda server: server.answer_raw(b"<html></html>", 200, "text/html"),
    "JSON that is not an object": lambda server: server.answer_json(["user"]),
    "an empty object": lambda server: server.answer_json({}),
    "no user": lambda server: server.answer_json(_without("user")),
    "no reseller": lambda server: server.answer_json(_without("reseller")),
    "no accounts": lambda server: server.answer_json(_without("accounts")),
    "no e-mail": lambda server: server.answer_json(_without("user", "email")),
    "no admin flag": lambda server: server.answer_json(_without("user", "is_admin")),
    "no reseller CNPJ": lambda server: server.answer_json(_without("reseller", "cnpj")),
    "an account without a code": lambda server: server.answer_json(
        _with([{"cnpj": make_cnpj(44_000_001), "name": "x"}], "accounts")
    ),
    "admin flag as a string": lambda server: server.answer_json(_with("yes", "user", "is_admin")),
    "accounts as null": lambda server: server.answer_json(_with(None, "accounts")),
    "accounts as an object": lambda server: server.answer_json(_with({"A01": {}}, "accounts")),
    "a numeric name": lambda server: server.answer_json(_with(42, "user", "name")),
    "an empty e-mail": lambda server: server.answer_json(_with("  ", "user", "email")),
    "an e-mail that is not one": lambda server: server.answer_json(
        _with("not-an-email", "user", "email")
    ),
    "an invalid CNPJ": lambda server: server.answer_json(
        _with("11.111.111/1111-11", "reseller", "cnpj")
    ),
    "a code too long for the portal": lambda server: server.answer_json(
        _with("M" * 21, "reseller", "code")
    ),
    "401 without the contract's error": lambda server: server.fail_with(401, b"Unauthorized"),
    "403 from something else than the store": lambda server: server.fail_with(
        403, b'{"error": "forbidden by the firewall"}'
    ),
    "404 for a wrong URL": lambda server: server.fail_with(404, b'{"error": "not_found"}'),
}


@pytest.mark.parametrize("breakage", BROKEN_STORES.values(), ids=BROKEN_STORES.keys())
def test_a_broken_store_raises_store_error_and_logs_it(
    ecommerce_server, store_user, caplog, breakage
):
    breakage(ecommerce_server)

    with pytest.raises(StoreError):
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert store_errors(caplog), "the failure must be logged at ERROR"


def test_a_refused_connection_raises_store_error_and_logs_it(settings, caplog):
    settings.ECOMMERCE_ALLOW_HTTP = True
    settings.ECOMMERCE_AUTH_URL = refused_url()

    with pytest.raises(StoreError):
        HttpStore(client_id="id", client_secret="secret", timeout=0.5).authenticate(
            "ana@revenda-h.example", PASSWORD
        )

    assert store_errors(caplog)


@pytest.mark.parametrize("url", ["", "not a url", "ftp://127.0.0.1/auth"])
def test_a_missing_or_unusable_url_raises_store_error_and_logs_it(settings, caplog, url):
    settings.ECOMMERCE_AUTH_URL = url

    with pytest.raises(StoreError):
        HttpStore(client_id="id", client_secret="secret", timeout=0.5).authenticate(
            "ana@revenda-h.example", PASSWORD
        )

    assert store_errors(caplog)


def test_the_password_never_reaches_the_log(ecommerce_server, store_user, caplog):
    caplog.set_level(logging.DEBUG)
    ecommerce_server.answer_raw(b"not json, and not the password either")

    with pytest.raises(StoreError):
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert caplog.records
    assert PASSWORD not in caplog.text


# Redirects: the request goes to the configured URL and nowhere else. -----------------------------


def _admin_identity():
    return {
        "user": {
            "login": "mallory",
            "email": "mallory@revenda-h.example",
            "name": "Mallory",
            "is_admin": True,
        },
        "reseller": {"cnpj": make_cnpj(44_000_001), "name": "Revenda HTTP", "code": "M01"},
        "accounts": [],
    }


@pytest.fixture
def other_host():
    """Another server, on another port of loopback: another origin. It answers every request
    with a reseller admin's identity, whatever it is sent."""
    with EcommerceServer() as server:
        server.answer_json(_admin_identity())
        yield server


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_a_store_failure_and_sends_nothing_there(
    ecommerce_server, store_user, other_host, caplog, status
):
    ecommerce_server.redirect_to(other_host.url, status=status)

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("ana@revenda-h.example", "not-her-password")

    assert raised.value.kind == "redirect"
    assert other_host.requests == [], "neither the credentials nor the password may go there"
    (record,) = store_errors(caplog)
    assert (record.kind, record.status) == ("redirect", status)


def test_a_redirect_within_the_store_is_not_followed_either(ecommerce_server, store_user):
    ecommerce_server.redirect_to(ecommerce_server.url + "/elsewhere", status=307)

    with pytest.raises(StoreError):
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert [seen.path for seen in ecommerce_server.requests] == [ecommerce_server.path]


# HTTPS -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("store-tls"))


@pytest.fixture
def https_store(certificate, settings, monkeypatch):
    """The store over HTTPS, with a certificate from an authority the portal is told to trust
    (SSL_CERT_FILE, as in production for a private authority); http is not allowed."""
    monkeypatch.setenv("SSL_CERT_FILE", certificate.authority)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with EcommerceServer(tls=certificate) as server:
        use_store(settings, server, allow_http=False, timeout=2)
        server.add_user("ana@revenda-h.example", PASSWORD, is_admin=True)
        yield server


def test_an_https_store_answers_over_a_verified_connection(https_store):
    identity = HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert identity.email == "ana@revenda-h.example"
    assert https_store.url.startswith("https://")


def test_a_redirect_from_https_to_http_sends_neither_credentials_nor_password_in_clear(
    https_store, other_host, caplog
):
    https_store.redirect_to(other_host.url)

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("ana@revenda-h.example", "not-her-password")

    assert raised.value.kind == "redirect"
    assert other_host.requests == []


def test_a_store_with_a_certificate_the_portal_does_not_trust_is_a_store_failure(
    https_store, monkeypatch, tmp_path, caplog
):
    other_authority = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", other_authority.authority)

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert raised.value.kind == "tls"
    assert https_store.requests == [], "nothing is sent before the certificate checks out"


def test_an_http_store_url_is_refused_without_the_development_flag(
    ecommerce_server, store_user, settings, caplog
):
    settings.ECOMMERCE_ALLOW_HTTP = False

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert raised.value.kind == "not_configured"
    assert ecommerce_server.requests == [], "the password must not cross the network in clear"
    (record,) = store_errors(caplog)
    assert "ECOMMERCE_ALLOW_HTTP" in record.detail


def test_a_store_url_with_a_user_name_and_password_is_refused_before_any_request(
    ecommerce_server, store_user, settings, caplog
):
    settings.ECOMMERCE_AUTH_URL = ecommerce_server.url.replace("://", "://portal:url-secret@")

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert raised.value.kind == "not_configured"
    assert ecommerce_server.requests == []
    assert "url-secret" not in caplog.text


# The startup check -------------------------------------------------------------------------------


def check_ids(settings, **values):
    for name, value in values.items():
        setattr(settings, name, value)
    return sorted(
        error.id
        for error in checks.run_checks(tags=[checks.Tags.security])
        if error.id.startswith("accounts.")
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"ECOMMERCE_AUTH_URL": "http://store.example/auth"}, ["accounts.E005"]),
        ({"ECOMMERCE_AUTH_URL": "https://u:p@store.example/auth"}, ["accounts.E004"]),
        (
            {"ECOMMERCE_AUTH_URL": "http://u:p@store.example/auth"},
            ["accounts.E004", "accounts.E005"],
        ),
        ({"ECOMMERCE_AUTH_URL": ""}, ["accounts.E002"]),
        ({"ECOMMERCE_AUTH_URL": "store.example/auth"}, ["accounts.E003"]),
        ({"ECOMMERCE_AUTH_URL": "https://store.example:99999/auth"}, ["accounts.E003"]),
        ({"ECOMMERCE_TIMEOUT": 0}, ["accounts.E006"]),
        ({"ECOMMERCE_STORE": "ldap"}, ["accounts.E001"]),
    ],
    ids=[
        "http",
        "userinfo",
        "http and userinfo",
        "no URL",
        "not a URL",
        "bad port",
        "no timeout",
        "unknown store",
    ],
)
def test_a_misconfigured_store_is_reported_at_startup(settings, values, expected):
    base = {
        "ECOMMERCE_STORE": "http",
        "ECOMMERCE_AUTH_URL": "https://store.example/auth",
        "ECOMMERCE_ALLOW_HTTP": False,
        "ECOMMERCE_TIMEOUT": 5,
    }

    assert check_ids(settings, **{**base, **values}) == expected


@pytest.mark.parametrize(
    "values",
    [
        {"ECOMMERCE_STORE": "http", "ECOMMERCE_AUTH_URL": "https://store.example/auth"},
        {
            "ECOMMERCE_STORE": "http",
            "ECOMMERCE_AUTH_URL": "http://127.0.0.1:8001/auth",
            "ECOMMERCE_ALLOW_HTTP": True,
        },
        {"ECOMMERCE_STORE": "local", "ECOMMERCE_AUTH_URL": ""},
    ],
    ids=["https", "http with the development flag", "the local store"],
)
def test_a_sound_store_configuration_passes_the_startup_check(settings, values):
    assert (
        check_ids(settings, **{"ECOMMERCE_ALLOW_HTTP": False, "ECOMMERCE_TIMEOUT": 5, **values})
        == []
    )


# The deadline covers the whole exchange. ---------------------------------------------------------


def test_a_store_trickling_its_headers_is_cut_off_at_the_deadline(
    ecommerce_server, store_user, caplog
):
    # 300 header bytes, one every 50 ms: each arrives well within the per-read timeout, and the
    # whole answer would take 15 s against a deadline of 0.5 s.
    ecommerce_server.trickle_headers(seconds_per_byte=0.05, length=300)

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert raised.value.kind == "timeout"
    assert ecommerce_server.client_hung_up.wait(10), "the client must hang up, not wait"
    assert not ecommerce_server.answer_finished.is_set()
    (record,) = store_errors(caplog)
    assert record.status is None, "the headers never arrived"


def test_a_dns_lookup_that_hangs_is_cut_off_at_the_deadline(settings, monkeypatch):
    # The lookup runs in a worker thread that nothing can interrupt; the login must not wait
    # for it. It is held until the test lets go (or 10 s pass, so a failing test still ends).
    lookup_released, lookup_over = threading.Event(), threading.Event()
    real_getaddrinfo = socket.getaddrinfo

    def hanging_getaddrinfo(host, port, *args, **kwargs):
        if host in ("slow-dns.test", b"slow-dns.test"):
            lookup_released.wait(10)
            lookup_over.set()
            host = "127.0.0.1"
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging_getaddrinfo)
    settings.ECOMMERCE_ALLOW_HTTP = True
    settings.ECOMMERCE_AUTH_URL = refused_url().replace("127.0.0.1", "slow-dns.test")

    try:
        with pytest.raises(StoreError) as raised:
            HttpStore(client_id="id", client_secret="secret", timeout=0.5).authenticate(
                "ana@revenda-h.example", PASSWORD
            )
        assert not lookup_over.is_set(), "the login waited for the lookup"
    finally:
        lookup_released.set()
    assert raised.value.kind == "timeout"


def test_an_answer_past_the_size_limit_is_not_read_to_the_end(ecommerce_server, store_user, caplog):
    ecommerce_server.answer_raw(b"[" * (HttpStore.max_answer_bytes + 1))

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert raised.value.kind == "too_large"


def test_a_gzip_bomb_from_the_store_is_never_inflated(ecommerce_server, store_user, caplog):
    bomb = gzip.compress(b" " * (16 << 20))  # 16 MiB of spaces in 16 KiB
    ecommerce_server.answer_raw(bomb, headers={"Content-Encoding": "gzip"})

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert raised.value.kind == "bad_answer"
    assert ecommerce_server.requests[0].headers["Accept-Encoding"] == "identity"


def test_the_store_can_be_asked_from_inside_a_running_event_loop(store_user):
    # Sync code called from async code without a thread hop: asyncio.run() alone would refuse.
    async def caller():
        return HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    assert asyncio.run(caller()).email == "ana@revenda-h.example"


# What is logged ----------------------------------------------------------------------------------

TYPED_PASSWORD = "typed-password-MARKER-7f3a"
BODY_MARKER = "body-MARKER-91c2"
USERINFO_MARKER = "userinfo-MARKER-44d0"
MARKERS = (TYPED_PASSWORD, BODY_MARKER, USERINFO_MARKER)


def _echoing_password(server, settings):
    # A store that echoes what it was sent, the password included, in an invalid answer.
    answer = _with(f"{BODY_MARKER} {TYPED_PASSWORD}", "reseller", "cnpj")
    server.answer_json(answer)


LEAKY_FAILURES = {
    "5xx with a body": lambda server, settings: server.fail_with(
        500, f"<pre>Traceback ... {BODY_MARKER} password={TYPED_PASSWORD}</pre>".encode()
    ),
    "malformed JSON": lambda server, settings: server.answer_raw(
        f'{{"user": "{BODY_MARKER}'.encode()
    ),
    "an invalid field echoing the password": _echoing_password,
    "a name too long": lambda server, settings: server.answer_json(
        _with(BODY_MARKER * 20, "user", "name")
    ),
    "401 invalid_client": lambda server, settings: server.fail_with(
        401, f'{{"error": "invalid_client", "detail": "{BODY_MARKER}"}}'.encode()
    ),
    "401 from a proxy": lambda server, settings: server.fail_with(401, BODY_MARKER.encode()),
    "a redirect": lambda server, settings: server.redirect_to(
        f"http://127.0.0.1:9/{BODY_MARKER}?token={BODY_MARKER}"
    ),
    "a timeout": lambda server, settings: server.answer_after(30),
    "a body trickling past the deadline": lambda server, settings: server.trickle_answer(0.2),
    "headers trickling past the deadline": lambda server, settings: server.trickle_headers(
        0.05, 300
    ),
    "a hang-up": lambda server, settings: server.close_connections(),
    "a refused connection": lambda server, settings: setattr(
        settings, "ECOMMERCE_AUTH_URL", refused_url()
    ),
    "a URL with userinfo": lambda server, settings: setattr(
        settings,
        "ECOMMERCE_AUTH_URL",
        server.url.replace("://", f"://portal:{USERINFO_MARKER}@"),
    ),
    "a URL with userinfo that cannot be parsed": lambda server, settings: setattr(
        settings, "ECOMMERCE_AUTH_URL", f"http://portal:{USERINFO_MARKER}@127.0.0.1:port/x"
    ),
}


def record_texts(record):
    """Everything a log record can put in a log: its message, its arguments, its extras, its
    exception's traceback, and the line the production formatter writes."""
    texts = [record.getMessage(), repr(record.args), repr(vars(record))]
    if record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        texts.append(record.exc_text)
    texts.append(security.formatter("json").format(record))
    return texts


@pytest.mark.parametrize("breakage", LEAKY_FAILURES.values(), ids=LEAKY_FAILURES.keys())
def test_no_log_record_carries_the_password_the_answer_body_or_the_url_userinfo(
    ecommerce_server, store_user, settings, caplog, breakage
):
    caplog.set_level(logging.DEBUG)
    breakage(ecommerce_server, settings)

    with pytest.raises(StoreError):
        HttpStore().authenticate("ana@revenda-h.example", TYPED_PASSWORD)

    assert store_errors(caplog)
    for record in caplog.records:
        for text in record_texts(record):
            for marker in MARKERS:
                assert marker not in text, f"{record.name}: {record.getMessage()}"


FAILURE_LINES = {
    "503": (lambda s, st: s.fail_with(503, b"x" * 17), "http_status", 503, 17),
    "malformed JSON": (lambda s, st: s.answer_raw(b"{nope"), "bad_answer", 200, 5),
    "refused client": (
        lambda s, st: setattr(st, "ECOMMERCE_CLIENT_SECRET", "wrong"),
        "client_refused",
        401,
        None,
    ),
    "redirect": (lambda s, st: s.redirect_to("https://elsewhere.example/"), "redirect", 302, 0),
    "timeout": (lambda s, st: s.answer_after(30), "timeout", None, None),
    "refused connection": (
        lambda s, st: setattr(st, "ECOMMERCE_AUTH_URL", refused_url()),
        "unreachable",
        None,
        None,
    ),
    "hang-up": (lambda s, st: s.close_connections(), "dropped", None, None),
}


@pytest.mark.parametrize(
    ("breakage", "kind", "status", "length"), FAILURE_LINES.values(), ids=FAILURE_LINES.keys()
)
def test_a_store_failure_is_one_line_with_its_kind_status_length_and_elapsed_time(
    ecommerce_server, store_user, settings, caplog, breakage, kind, status, length
):
    breakage(ecommerce_server, settings)

    with pytest.raises(StoreError):
        HttpStore().authenticate("ana@revenda-h.example", PASSWORD)

    (record,) = store_errors(caplog)
    assert (record.kind, record.status) == (kind, status)
    if length is not None:
        assert record.length == length
    else:
        assert record.length in (None, len(b'{"error": "invalid_client"}'))
    assert isinstance(record.elapsed_ms, int) and record.elapsed_ms >= 0


def test_a_store_naming_thousands_of_accounts_is_a_bad_answer(ecommerce_server):
    accounts = [
        {"code": f"A{n:011d}", "cnpj": make_cnpj(44_000_001, n % 9000 + 1), "name": "Filial"}
        for n in range(HttpStore.max_accounts + 1)
    ]
    ecommerce_server.add_user("zeca@revenda-h.example", PASSWORD, accounts=accounts)

    with pytest.raises(StoreError) as raised:
        HttpStore().authenticate("zeca@revenda-h.example", PASSWORD)

    assert raised.value.kind == "bad_answer"

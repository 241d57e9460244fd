"""`HttpStore` against a real HTTP server on loopback (tests/ecommerce_server.py)."""

import logging

import pytest

from accounts.store import (
    HttpStore,
    InactiveStoreUser,
    InvalidCredentials,
    StoreAccount,
    StoreError,
    StoreIdentity,
    get_store,
)
from tests.ecommerce_server import refused_url
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
    return [r for r in caplog.records if r.name == "accounts.store" and r.levelno == logging.ERROR]


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
    assert "ECOMMERCE_CLIENT_SECRET" in record.getMessage()


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

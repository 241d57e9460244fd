"""The e-commerce user store: the portal never keeps reseller passwords, it asks the store.

Two implementations answer the same interface: `HttpStore` (production; the contract is in the
README) and `LocalStore` (the demo and development, backed by `EcommerceUser`).
"""

import asyncio
import concurrent.futures
import functools
import json
import logging
import os
import ssl
import time
import urllib.parse
from dataclasses import dataclass

# httpx imports httpcore when its first client is made: a fifth of a second, which the first login
# after a worker starts would otherwise spend inside its deadline.
import httpcore  # noqa: F401
import httpx
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.module_loading import import_string

from accounts.models import EcommerceUser, Reseller, ResellerAccount, User
from portal import cnpj, security


class StoreError(Exception):
    """The store could not give an answer: down, slow, misconfigured or answering nonsense.

    `kind` names the failure in a word (see `HttpStore`); the message never carries the URL,
    the answer's body or anything the user typed.
    """

    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


class InvalidCredentials(Exception):
    """Unknown login or wrong password; deliberately does not say which."""


class InactiveStoreUser(Exception):
    """The store knows the user but has locked or deactivated them."""


class BadAnswer(ValueError):
    """The store's answer breaks the contract. The message names the field, never its value:
    the value came from outside and may be anything, a password echoed back included."""


@dataclass(frozen=True)
class StoreAccount:
    code: str
    cnpj: str
    name: str


@dataclass(frozen=True)
class StoreIdentity:
    login: str
    email: str
    name: str
    is_admin: bool
    reseller_cnpj: str
    reseller_name: str
    reseller_code: str
    accounts: tuple[StoreAccount, ...]


class LocalStore:
    def authenticate(self, login, password):
        user = (
            EcommerceUser.objects.select_related("reseller")
            .filter(login__iexact=login.strip())
            .first()
        )
        if user is None:
            # Hash anyway, as Django's ModelBackend does: an unknown login must cost what a
            # wrong password costs, or the answer's timing tells which logins exist.
            make_password(password)
            raise InvalidCredentials
        if not user.check_password(password):
            raise InvalidCredentials
        if not user.is_active or user.is_locked:
            raise InactiveStoreUser
        reseller = user.reseller
        return StoreIdentity(
            login=user.login,
            email=user.login,
            name=user.name,
            is_admin=user.is_admin,
            reseller_cnpj=reseller.cnpj,
            reseller_name=reseller.name,
            reseller_code=reseller.code,
            accounts=tuple(
                StoreAccount(code=a.code, cnpj=a.cnpj, name=a.name) for a in reseller.accounts.all()
            ),
        )


def url_problems(url, *, allow_http):
    """What is wrong with `url` as the store's endpoint, as (code, message) pairs.

    The messages never repeat the URL: it may carry a user name and password.
    """
    if not url:
        return [("E002", "ECOMMERCE_AUTH_URL is not set.")]
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (parsing the port is the check)
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        return [("E003", "ECOMMERCE_AUTH_URL is not a URL.")]
    problems = []
    if parts.scheme not in ("https", "http"):
        problems.append(("E003", "ECOMMERCE_AUTH_URL must be an https:// URL."))
    if "@" in parts.netloc:
        problems.append(
            (
                "E004",
                "ECOMMERCE_AUTH_URL carries a user name or password; the portal's credentials "
                "belong in ECOMMERCE_CLIENT_ID and ECOMMERCE_CLIENT_SECRET.",
            )
        )
    if parts.scheme in ("https", "http") and not parts.hostname:
        problems.append(("E003", "ECOMMERCE_AUTH_URL has no host."))
    if parts.scheme == "http" and not allow_http:
        problems.append(
            (
                "E005",
                "ECOMMERCE_AUTH_URL is http://: every password would cross the network in "
                "clear. Use https://; ECOMMERCE_ALLOW_HTTP=1 allows http for development only.",
            )
        )
    return problems


class _Failure(Exception):
    """One way the call failed: `kind` names it in the log and in StoreError."""

    def __init__(self, kind, error=None, **fields):
        super().__init__(kind)
        self.kind, self.error, self.fields = kind, error, fields


def _transport_failure(exc):
    """The kind of failure of an exchange that gave no complete answer."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, _TooLarge):
        return "too_large"
    if isinstance(exc, httpx.ConnectError):
        return "tls" if _is_tls_failure(exc) else "unreachable"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "not_configured"
    # Reset or half-closed connections, a garbled status line, a truncated body.
    return "dropped"


class _TooLarge(Exception):
    pass


@dataclass
class _Progress:
    """How far the exchange got, for the log line of a failure."""

    status: int | None = None
    length: int | None = None


class HttpStore:
    """JSON over HTTPS (the contract is in the README). Every way the call can fail becomes
    `StoreError` and one "store_failure" line in the security log, so the login page can say the
    service is down instead of answering 500.

    Only the two answers the contract names are the user's fault: 401 `invalid_credentials` and
    403 `inactive`/`locked`. Any other 401 or 403 (the store refusing the portal's own client
    credentials, a proxy in the way) is a configuration error and must be loud, not look like a
    wrong password.

    The request goes to the configured URL and nowhere else: a redirect is a failure, never
    followed, so the client credentials and the password cannot be sent on to another host.
    `timeout` is one deadline for the whole exchange, from connecting to the last byte of the
    answer. The log line carries the status, the answer's length and the time taken, never the
    answer's body, the URL or the password.
    """

    # A real answer is a few kilobytes; a store streaming more is answering nonsense.
    max_answer_bytes = 1 << 20
    # Each account is written at every login: a reseller has a handful of ERP codes, not
    # thousands, and a store naming thousands would hold the login in the database.
    max_accounts = 200

    def __init__(self, url=None, client_id=None, client_secret=None, timeout=None):
        self.url = url if url is not None else settings.ECOMMERCE_AUTH_URL
        self.client_id = client_id if client_id is not None else settings.ECOMMERCE_CLIENT_ID
        self.client_secret = (
            client_secret if client_secret is not None else settings.ECOMMERCE_CLIENT_SECRET
        )
        self.timeout = timeout if timeout is not None else settings.ECOMMERCE_TIMEOUT

    def authenticate(self, login, password):
        started = time.monotonic()
        progress = _Progress()
        try:
            return self._authenticate(login, password, progress)
        except _Failure as failure:
            security.event(
                "store_failure",
                level=logging.ERROR,
                kind=failure.kind,
                status=progress.status,
                length=progress.length,
                elapsed_ms=round((time.monotonic() - started) * 1000),
                error=type(failure.error).__name__ if failure.error is not None else None,
                **failure.fields,
            )
            raise StoreError(failure.kind) from None

    def _authenticate(self, login, password, progress):
        problems = url_problems(self.url, allow_http=settings.ECOMMERCE_ALLOW_HTTP)
        if problems:
            raise _Failure("not_configured", detail=" ".join(message for _, message in problems))
        try:
            headers, raw = _run(lambda: self._exchange(login, password, progress))
        except (_TooLarge, httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise _Failure(_transport_failure(exc), exc) from None
        return self._answer(progress.status, headers, raw)

    def _answer(self, status, headers, raw):
        """The identity in the store's answer, or the exception that says why there is none."""
        if 300 <= status < 400:
            # Never followed, and its Location is never logged: it may name any host and carry
            # anything in its query.
            raise _Failure("redirect")
        error = _error_code(headers, raw) if status in (401, 403) else None
        if status == 401 and error == "invalid_credentials":
            raise InvalidCredentials
        if status == 403 and error in ("inactive", "locked"):
            raise InactiveStoreUser
        if status == 401 and error == "invalid_client":
            raise _Failure(
                "client_refused", hint="check ECOMMERCE_CLIENT_ID and ECOMMERCE_CLIENT_SECRET"
            )
        if status != 200:
            raise _Failure("http_status")
        try:
            return self._identity(_json(headers, raw))
        except BadAnswer as exc:
            raise _Failure("bad_answer", exc, detail=str(exc)) from None
        except RecursionError as exc:
            raise _Failure("bad_answer", exc, detail="the answer is nested too deeply") from None

    async def _exchange(self, login, password, progress):
        # httpx's timeouts bound each phase (connect, each read, each write), so a store that
        # sends its headers a byte at a time would never trip them; asyncio.timeout bounds the
        # whole exchange, headers included.
        async with asyncio.timeout(self.timeout):
            async with httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
                follow_redirects=False,
                verify=_ssl_context(
                    os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
                ),
            ) as client:
                request = client.build_request(
                    "POST",
                    self.url,
                    # ASCII-escaped: any text the form lets through encodes, lone surrogates too.
                    content=json.dumps({"login": login, "password": password}).encode(),
                    headers={
                        "Content-Type": "application/json",
                        "Accept": "application/json",
                        "Accept-Encoding": "identity",
                    },
                )
                response = await client.send(
                    request, stream=True, auth=httpx.BasicAuth(self.client_id, self.client_secret)
                )
                try:
                    progress.status = response.status_code
                    progress.length = 0
                    declared = response.headers.get("Content-Length", "")
                    if declared.isdigit() and int(declared) > self.max_answer_bytes:
                        raise _TooLarge
                    chunks = []
                    async for chunk in response.aiter_raw():
                        progress.length += len(chunk)
                        if progress.length > self.max_answer_bytes:
                            raise _TooLarge
                        chunks.append(chunk)
                finally:
                    await response.aclose()
                return response.headers, b"".join(chunks)

    @staticmethod
    def _identity(data):
        if not isinstance(data, dict):
            raise BadAnswer("the answer is not a JSON object")
        store_accounts = _accounts(_field(data, "accounts"))
        user, reseller = _field(data, "user"), _field(data, "reseller")
        for name, part in (("user", user), ("reseller", reseller)):
            if not isinstance(part, dict):
                raise BadAnswer(f"{name} is not an object")
        if not isinstance(_field(user, "is_admin", "user"), bool):
            raise BadAnswer("user.is_admin is not a boolean")
        email = _text(user, "email", _limit(User, "email"), "user").lower()
        try:
            validate_email(email)
        except ValidationError:
            raise BadAnswer("user.email is not an e-mail address") from None
        return StoreIdentity(
            login=_text(user, "login", None, "user"),
            email=email,
            name=_text(user, "name", _limit(User, "name"), "user"),
            is_admin=user["is_admin"],
            reseller_cnpj=_cnpj(reseller, "cnpj", "reseller"),
            reseller_name=_text(reseller, "name", _limit(Reseller, "name"), "reseller"),
            reseller_code=_text(reseller, "code", _limit(Reseller, "code"), "reseller"),
            accounts=tuple(store_accounts),
        )


def _run(make_coroutine):
    """Runs the exchange to completion from synchronous code: a Django view under WSGI, or under
    ASGI in the thread pool that runs sync views. Each call gets an event loop of its own, so
    nothing is shared between logins running in parallel threads."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_on_new_loop(make_coroutine)
    # Called from inside a running event loop, where a second loop cannot run in this thread:
    # run the exchange on a loop in a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run_on_new_loop, make_coroutine).result()


def _run_on_new_loop(make_coroutine):
    # Not asyncio.run(): on the way out it waits for the loop's worker threads, and the DNS
    # lookup runs in one that nothing can interrupt. A resolver that hangs would hold the login
    # past the deadline; closing the loop lets the lookup finish on its own, unawaited.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(make_coroutine())
    finally:
        try:
            if pending := asyncio.all_tasks(loop):
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


@functools.lru_cache(maxsize=4)
def _ssl_context(cert_file, cert_dir):
    # Loading the CA bundle takes milliseconds; do it once per bundle, not once per login.
    # SSL_CERT_FILE and SSL_CERT_DIR choose the bundle as for any OpenSSL client.
    return httpx.create_ssl_context(trust_env=True)


def _is_tls_failure(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ssl.SSLError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _encoded(headers):
    # The request asked for the identity encoding; a compressed answer could inflate far past
    # the size limit, so it is not read.
    return headers.get("Content-Encoding", "identity").strip().lower() not in ("identity", "")


def _json(headers, raw):
    if _encoded(headers):
        raise BadAnswer("the answer is compressed although the portal asked for it plain")
    try:
        return json.loads(raw)
    except ValueError:
        raise BadAnswer("the answer is not JSON") from None


def _limit(model, name):
    return model._meta.get_field(name).max_length


def _accounts(accounts):
    """The reseller's accounts in a store answer, checked one by one."""
    if not isinstance(accounts, list):
        raise BadAnswer("accounts is not a list")
    if len(accounts) > HttpStore.max_accounts:
        raise BadAnswer(f"more than {HttpStore.max_accounts} accounts")
    store_accounts = []
    for i, account in enumerate(accounts):
        where = f"accounts[{i}]"
        if not isinstance(account, dict):
            raise BadAnswer(f"{where} is not an object")
        store_accounts.append(
            StoreAccount(
                code=_text(account, "code", _limit(ResellerAccount, "code"), where),
                cnpj=_cnpj(account, "cnpj", where),
                name=_text(account, "name", _limit(ResellerAccount, "name"), where),
            )
        )
    return store_accounts


def _error_code(headers, raw):
    try:
        data = _json(headers, raw)
    except (BadAnswer, RecursionError):
        return None
    return data.get("error") if isinstance(data, dict) else None


def _field(data, key, where=None):
    if key not in data:
        raise BadAnswer(f"{where}.{key} is missing" if where else f"{key} is missing")
    return data[key]


def _text(data, key, max_length, where):
    value = _field(data, key, where)
    if not isinstance(value, str) or not value.strip():
        raise BadAnswer(f"{where}.{key} is not a non-empty string")
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        # Too long for the portal's columns: PostgreSQL would refuse it mid-login.
        raise BadAnswer(f"{where}.{key} is longer than {max_length} characters")
    return value


def _cnpj(data, key, where):
    value = _text(data, key, None, where)
    if not cnpj.is_valid(value):
        raise BadAnswer(f"{where}.{key} is not a valid CNPJ")
    return cnpj.strip(value)


STORES = {"local": "accounts.store.LocalStore", "http": "accounts.store.HttpStore"}


def get_store():
    return import_string(STORES[settings.ECOMMERCE_STORE])()

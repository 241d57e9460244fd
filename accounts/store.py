"""The e-commerce user store: the portal never keeps reseller passwords, it asks the store.

Two implementations answer the same interface: `HttpStore` (production; the contract is in the
README) and `LocalStore` (the demo and development, backed by `EcommerceUser`).
"""

import base64
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.module_loading import import_string

from portal import cnpj

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The store could not give an answer: down, slow, or answering nonsense."""


class InvalidCredentials(Exception):
    """Unknown login or wrong password; deliberately does not say which."""


class InactiveStoreUser(Exception):
    """The store knows the user but has locked or deactivated them."""


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
        from accounts.models import EcommerceUser

        user = (
            EcommerceUser.objects.select_related("reseller")
            .filter(login__iexact=login.strip())
            .first()
        )
        if user is None or not user.check_password(password):
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


class HttpStore:
    """JSON over HTTP (docs/ecommerce-contract.md). Every way the call can fail is logged and
    becomes `StoreError`, so the login page can say the service is down instead of answering 500.

    Only the two answers the contract names are the user's fault: 401 `invalid_credentials` and
    403 `inactive`/`locked`. Any other 401 or 403 (the store refusing the portal's own client
    credentials, a proxy in the way) is a configuration error and must be loud, not look like a
    wrong password.
    """

    # A real answer is a few kilobytes; a store streaming more is answering nonsense.
    max_answer_bytes = 1 << 20

    def __init__(self, url=None, client_id=None, client_secret=None, timeout=None):
        self.url = url if url is not None else settings.ECOMMERCE_AUTH_URL
        self.client_id = client_id if client_id is not None else settings.ECOMMERCE_CLIENT_ID
        self.client_secret = (
            client_secret if client_secret is not None else settings.ECOMMERCE_CLIENT_SECRET
        )
        self.timeout = timeout if timeout is not None else settings.ECOMMERCE_TIMEOUT

    def _request(self, login, password):
        body = json.dumps({"login": login, "password": password}).encode()
        credentials = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        return urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Basic {credentials}",
            },
        )

    def authenticate(self, login, password):
        if not self.url:
            log.error("e-commerce store: ECOMMERCE_AUTH_URL is not set")
            raise StoreError("ECOMMERCE_AUTH_URL is not set")
        try:
            status, raw = self._post(login, password)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # OSError covers refused and reset connections, DNS failures and timeouts
            # (URLError and TimeoutError are OSErrors); HTTPException a garbled status line
            # or a truncated body; ValueError a URL urllib cannot use.
            log.error("e-commerce store call to %s failed: %r", self.url, exc)
            raise StoreError(f"call failed: {exc!r}") from exc

        error = _error_code(raw) if status in (401, 403) else None
        if status == 401 and error == "invalid_credentials":
            raise InvalidCredentials
        if status == 403 and error in ("inactive", "locked"):
            raise InactiveStoreUser
        if status == 401 and error == "invalid_client":
            log.error(
                "e-commerce store refused the portal's client credentials; "
                "check ECOMMERCE_CLIENT_ID and ECOMMERCE_CLIENT_SECRET"
            )
            raise StoreError("client credentials refused")
        if status != 200:
            log.error("e-commerce store answered HTTP %s: %.200r", status, raw)
            raise StoreError(f"HTTP {status}")
        try:
            return self._identity(json.loads(raw))
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            RecursionError,
            ValidationError,
        ) as exc:
            log.error("e-commerce store answered malformed JSON (%r): %.200r", exc, raw)
            raise StoreError("malformed answer") from exc

    def _post(self, login, password):
        # urllib's timeout bounds connecting and each wait for bytes; the deadline also bounds
        # a store that keeps the answer dribbling in, so a login never hangs a worker for long.
        deadline = time.monotonic() + self.timeout
        try:
            response = urllib.request.urlopen(self._request(login, password), timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            response = exc  # a 4xx or 5xx still carries the answer the contract gives meaning to
        with response:
            chunks, size = [], 0
            while chunk := response.read1(64 * 1024):
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise ValueError(f"answer longer than {self.max_answer_bytes} bytes")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"answer not complete after {self.timeout} s")
                chunks.append(chunk)
            return response.status, b"".join(chunks)

    @staticmethod
    def _identity(data):
        from accounts.models import Reseller, ResellerAccount, User

        def limit(model, name):
            return model._meta.get_field(name).max_length

        user, reseller = data["user"], data["reseller"]
        if not isinstance(data["accounts"], list):
            raise TypeError("accounts must be a list")
        accounts = tuple(
            StoreAccount(
                code=_text(a["code"], limit(ResellerAccount, "code")),
                cnpj=_cnpj(a["cnpj"]),
                name=_text(a["name"], limit(ResellerAccount, "name")),
            )
            for a in data["accounts"]
        )
        if not isinstance(user["is_admin"], bool):
            raise TypeError("is_admin must be a boolean")
        email = _text(user["email"], limit(User, "email")).lower()
        validate_email(email)
        return StoreIdentity(
            login=_text(user["login"]),
            email=email,
            name=_text(user["name"], limit(User, "name")),
            is_admin=user["is_admin"],
            reseller_cnpj=_cnpj(reseller["cnpj"]),
            reseller_name=_text(reseller["name"], limit(Reseller, "name")),
            reseller_code=_text(reseller["code"], limit(Reseller, "code")),
            accounts=accounts,
        )


def _error_code(raw):
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data.get("error") if isinstance(data, dict) else None


def _text(value, max_length=None):
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"expected a non-empty string, got {value!r}")
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        # Too long for the portal's columns: PostgreSQL would refuse it mid-login.
        raise ValueError(f"longer than {max_length} characters: {value!r}")
    return value


def _cnpj(value):
    if not cnpj.is_valid(_text(value)):
        raise ValueError(f"not a valid CNPJ: {value!r}")
    return cnpj.strip(value)


STORES = {"local": "accounts.store.LocalStore", "http": "accounts.store.HttpStore"}


def get_store():
    return import_string(STORES[settings.ECOMMERCE_STORE])()

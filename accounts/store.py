"""The e-commerce user store: the portal never keeps reseller passwords, it asks the store.

Two implementations answer the same interface: `HttpStore` (production; the contract is in the
README) and `LocalStore` (the demo and development, backed by `EcommerceUser`).
"""

import base64
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

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
    """JSON over HTTP. Every way the call can fail becomes `StoreError`, and is logged."""

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
            with urllib.request.urlopen(
                self._request(login, password), timeout=self.timeout
            ) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            log.error("e-commerce store unreachable at %s: %s", self.url, exc)
            raise StoreError(str(exc)) from exc

        if status in (401, 404):
            raise InvalidCredentials
        if status in (403, 423):
            raise InactiveStoreUser
        if status != 200:
            log.error("e-commerce store answered HTTP %s: %.200r", status, raw)
            raise StoreError(f"HTTP {status}")
        try:
            return self._identity(json.loads(raw))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.error("e-commerce store answered malformed JSON (%s): %.200r", exc, raw)
            raise StoreError("malformed answer") from exc

    @staticmethod
    def _identity(data):
        user, reseller = data["user"], data["reseller"]
        accounts = tuple(
            StoreAccount(code=_text(a["code"]), cnpj=_text(a["cnpj"]), name=_text(a["name"]))
            for a in data["accounts"]
        )
        if not isinstance(user["is_admin"], bool):
            raise TypeError("is_admin must be a boolean")
        return StoreIdentity(
            login=_text(user["login"]),
            email=_text(user["email"]).lower(),
            name=_text(user["name"]),
            is_admin=user["is_admin"],
            reseller_cnpj=_text(reseller["cnpj"]),
            reseller_name=_text(reseller["name"]),
            reseller_code=_text(reseller["code"]),
            accounts=accounts,
        )


def _text(value):
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value.strip()


STORES = {"local": "accounts.store.LocalStore", "http": "accounts.store.HttpStore"}


def get_store():
    return import_string(STORES[settings.ECOMMERCE_STORE])()

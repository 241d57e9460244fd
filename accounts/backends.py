import contextlib
import logging
import secrets
import unicodedata

from django.contrib.auth.backends import BaseBackend
from django.db import IntegrityError

from accounts import services
from accounts.models import User
from accounts.store import InactiveStoreUser, InvalidCredentials, StoreError, get_store
from portal import security


class CollaboratorDeactivated(Exception):
    """The store accepted the password, but the reseller's admin has deactivated this user."""


def login_key(login):
    """The one spelling of a typed login that counts, whatever way it was typed.

    The login form accepts an address in any case, with surrounding spaces, with fullwidth or
    other compatibility forms of its letters ("ｒｅｖｅｎｄａ.example" passes e-mail validation,
    and IDNA reads it as "revenda.example") and with invisible format characters such as a
    zero-width space. All of these name the same account wherever logins are compared, so they
    must share one failed-login budget and one staff check. Letters of another script that only
    look alike (a Cyrillic "а") are different addresses and stay apart.
    """
    text = unicodedata.normalize("NFKC", str(login))
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return unicodedata.normalize("NFKC", text.casefold()).strip()


class EcommerceBackend(BaseBackend):
    """Authenticates reseller users against the e-commerce store.

    `StoreError` and `CollaboratorDeactivated` propagate so the login form can say what
    happened; a wrong password or an inactive store user is just "no".
    """

    def authenticate(self, request, email=None, password=None, **kwargs):
        if not email or not password:
            return None
        store = get_store()
        if _staff(email) is not None:
            # Staff log in with their local password only: the store never sees their address or
            # their password. It still gets a call, for a login that cannot exist, so that the
            # answer costs the same store round trip (or the same hashing, locally) as for any
            # other address; otherwise its speed would tell which addresses are staff.
            _ask_for_nobody(store)
            return None
        try:
            identity = store.authenticate(email, password)
        except (InvalidCredentials, InactiveStoreUser):
            return None
        if (staff := _staff(identity.email)) is not None:
            # The store must not turn a staff account into a reseller user.
            security.event(
                "store_identity_is_staff", request, level=logging.ERROR, login=email, user=staff
            )
            return None
        try:
            user, collaborator = services.sign_in_from_store(identity=identity)
        except IntegrityError as exc:
            # The store contradicts the portal's data (say, a reseller code that another CNPJ
            # already has). Someone must look; the user gets "unavailable", never a 500. The
            # database's message quotes values from the store's answer, so only its class is
            # logged.
            security.event(
                "store_failure",
                request,
                level=logging.ERROR,
                login=email,
                kind="identity_conflict",
                error=type(exc).__name__,
            )
            raise StoreError("identity_conflict") from None
        if not collaborator.is_active or not user.is_active:
            # An inactive User (switched off by staff in the admin) is refused the same way;
            # allauth would otherwise redirect to an "account inactive" page the portal lacks.
            raise CollaboratorDeactivated
        return user

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id, is_active=True).first()


def _staff(email):
    return User.objects.filter(email__iexact=login_key(email), is_staff=True).first()


def _ask_for_nobody(store):
    login = f"{secrets.token_hex(16)}@nobody.invalid"  # .invalid never resolves (RFC 2606)
    with contextlib.suppress(InvalidCredentials, InactiveStoreUser):
        store.authenticate(login, secrets.token_urlsafe(24))

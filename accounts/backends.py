import logging

from django.contrib.auth.backends import BaseBackend
from django.db import IntegrityError

from accounts import services
from accounts.models import User
from accounts.store import InactiveStoreUser, InvalidCredentials, StoreError, get_store

log = logging.getLogger(__name__)


class CollaboratorDeactivated(Exception):
    """The store accepted the password, but the reseller's admin has deactivated this user."""


class EcommerceBackend(BaseBackend):
    """Authenticates reseller users against the e-commerce store (DESIGN §5).

    `StoreError` and `CollaboratorDeactivated` propagate so the login form can say what
    happened; a wrong password or an inactive store user is just "no".
    """

    def authenticate(self, request, email=None, password=None, **kwargs):
        if not email or not password:
            return None
        if _is_staff(email):
            return None  # staff log in with their local password only; the store never sees it
        try:
            identity = get_store().authenticate(email, password)
        except (InvalidCredentials, InactiveStoreUser):
            return None
        if _is_staff(identity.email):
            # The store must not turn a staff account into a reseller user.
            log.warning("store identity %s is a staff user; login refused", identity.email)
            return None
        try:
            user, collaborator = services.sign_in_from_store(identity=identity)
        except IntegrityError as exc:
            # The store contradicts the portal's data (say, a reseller code that another CNPJ
            # already has). Someone must look; the user gets "unavailable", never a 500.
            log.error("store identity %s conflicts with the portal's data: %s", identity.email, exc)
            raise StoreError("identity conflicts with the portal's data") from exc
        if not collaborator.is_active or not user.is_active:
            # An inactive User (switched off by staff in the admin) is refused the same way;
            # allauth would otherwise redirect to an "account inactive" page the portal lacks.
            log.info("refused login of deactivated collaborator %s", user.email)
            raise CollaboratorDeactivated
        return user

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id, is_active=True).first()


def _is_staff(email):
    return User.objects.filter(email__iexact=email, is_staff=True).exists()

import logging

from django.contrib.auth.backends import BaseBackend

from accounts import services
from accounts.models import User
from accounts.store import InactiveStoreUser, InvalidCredentials, get_store

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
        if User.objects.filter(email__iexact=email, is_staff=True).exists():
            return None  # staff log in with their local password only
        try:
            identity = get_store().authenticate(email, password)
        except (InvalidCredentials, InactiveStoreUser):
            return None
        user, collaborator = services.sign_in_from_store(identity=identity)
        if not collaborator.is_active:
            log.info("refused login of deactivated collaborator %s", user.email)
            raise CollaboratorDeactivated
        return user

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id, is_active=True).first()

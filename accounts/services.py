from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Reseller, ResellerAccount, User
from collaborators.models import AccessChange, Collaborator


@transaction.atomic
def sign_in_from_store(*, identity):
    """Brings the portal's copy of a store identity up to date and records the access.

    The first login creates the collaborator with every module off; only a user the store marks
    as the reseller's e-commerce admin starts as a portal admin. Later logins never change
    the collaborator's access: that belongs to the reseller's admins.
    """
    reseller, _ = Reseller.objects.update_or_create(
        cnpj=identity.reseller_cnpj,
        defaults={"name": identity.reseller_name, "code": identity.reseller_code},
    )
    for account in identity.accounts:
        ResellerAccount.objects.update_or_create(
            code=account.code,
            defaults={"reseller": reseller, "cnpj": account.cnpj, "name": account.name},
        )
    email = identity.email.lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        # get_or_create, not create: a double-clicked first login runs this twice at once.
        user, _ = User.objects.get_or_create(
            email=email,
            # Reseller users never get a local password: the e-commerce store authenticates them.
            defaults={"name": identity.name, "password": make_password(None)},
        )
    if user.name != identity.name:
        user.name = identity.name
        user.save(update_fields=["name"])

    now = timezone.now()
    collaborator = Collaborator.objects.select_for_update().filter(user=user).first()
    if collaborator is None:
        collaborator, created = Collaborator.objects.get_or_create(
            user=user,
            defaults={
                "reseller": reseller,
                "is_admin": identity.is_admin,
                "first_access": now,
                "last_access": now,
            },
        )
        if created:
            AccessChange.objects.create(
                collaborator=collaborator,
                changed_by=None,
                before={},
                after={"is_admin": collaborator.is_admin, "modules": [], "is_active": True},
                reason="first login",
            )
            return user, collaborator
    if collaborator.reseller_id != reseller.pk:
        _move_to_reseller(collaborator, reseller, is_admin=identity.is_admin, now=now)
    elif collaborator.is_active and user.is_active:
        collaborator.last_access = now
        collaborator.save(update_fields=["last_access"])
    return user, collaborator


def _move_to_reseller(collaborator, reseller, *, is_admin, now):
    """The store now says this user belongs to another reseller.

    Nothing of the old reseller's access may carry over (it would show them the old reseller's
    orders and commissions), so they start at the new one as on a first login.
    """
    before = {
        "reseller": collaborator.reseller.code,
        "is_admin": collaborator.is_admin,
        "is_active": collaborator.is_active,
        "modules": sorted(collaborator.modules),
    }
    collaborator.reseller = reseller
    collaborator.is_admin = is_admin
    collaborator.is_active = True
    collaborator.last_access = now
    collaborator.save(update_fields=["reseller", "is_admin", "is_active", "last_access"])
    collaborator.set_modules([])
    Collaborator.objects.filter(pk=collaborator.pk).update(version=F("version") + 1)
    AccessChange.objects.create(
        collaborator=collaborator,
        changed_by=None,
        before=before,
        after={"reseller": reseller.code, "is_admin": is_admin, "is_active": True, "modules": []},
        reason="moved to another reseller by the e-commerce store",
    )

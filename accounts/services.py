from django.db import transaction
from django.utils import timezone

from accounts.models import Reseller, ResellerAccount, User


@transaction.atomic
def sign_in_from_store(*, identity):
    """Brings the portal's copy of a store identity up to date and records the access.

    The first login creates the collaborator with every module off; only a user the store marks
    as the reseller's e-commerce admin starts as a portal admin. Later logins never change
    the collaborator's access: that belongs to the reseller's admins.
    """
    from collaborators.models import AccessChange, Collaborator

    reseller, _ = Reseller.objects.update_or_create(
        cnpj=identity.reseller_cnpj,
        defaults={"name": identity.reseller_name, "code": identity.reseller_code},
    )
    for account in identity.accounts:
        ResellerAccount.objects.update_or_create(
            code=account.code,
            defaults={"reseller": reseller, "cnpj": account.cnpj, "name": account.name},
        )
    user = User.objects.filter(email__iexact=identity.email).first()
    if user is None:
        user = User.objects.create_user(identity.email, name=identity.name)
    elif user.name != identity.name:
        user.name = identity.name
        user.save(update_fields=["name"])

    now = timezone.now()
    collaborator = Collaborator.objects.select_for_update().filter(user=user).first()
    if collaborator is None:
        collaborator = Collaborator.objects.create(
            user=user,
            reseller=reseller,
            is_admin=identity.is_admin,
            first_access=now,
            last_access=now,
        )
        AccessChange.objects.create(
            collaborator=collaborator,
            changed_by=None,
            before={},
            after={"is_admin": collaborator.is_admin, "modules": [], "is_active": True},
            reason="first login",
        )
    elif collaborator.is_active:
        collaborator.last_access = now
        collaborator.save(update_fields=["last_access"])
    return user, collaborator

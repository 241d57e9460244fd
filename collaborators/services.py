"""Changes to a collaborator's access (DESIGN §2.4, §4): permissions, deactivation, reactivation.

Every write here:

- takes the reseller's row lock first, so that two changes to one reseller's access run one after
  the other (two admins demoting each other at once would otherwise leave it with none);
- re-reads the acting collaborator and the target under that lock and checks the rules on what
  they are now, not on what the page showed;
- bumps the target's `version`, so an edit form opened before the change is refused, not applied
  over it;
- records an AccessChange: who, whom, when, and the access before and after.

The `*_refusal` functions say why an action is not allowed (or None); the pages use them to show
or hide a button, and the writes use them again under the lock.
"""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import Reseller
from collaborators.models import AccessChange, Collaborator, ModuleGrant
from collaborators.modules import Module

REASON_UPDATED = "permissions updated"
REASON_DEACTIVATED = "deactivated"
REASON_REACTIVATED = "reactivated"


class AccessRefused(Exception):
    """The change breaks a rule; the message says which, in words for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ConcurrentChange(AccessRefused):
    """Someone else changed the collaborator after the form was opened."""

    def __init__(self):
        super().__init__(
            _(
                "This collaborator was changed by someone else while you were editing; "
                "review the current permissions and save again."
            )
        )


def access_snapshot(collaborator):
    """The access fields in the shape AccessChange keeps: is_admin, modules sorted, is_active."""
    modules = ModuleGrant.objects.filter(collaborator=collaborator).values_list("module", flat=True)
    return {
        "is_admin": collaborator.is_admin,
        "is_active": collaborator.is_active,
        "modules": sorted(modules),
    }


def is_last_active_admin(collaborator):
    if not (collaborator.is_admin and collaborator.is_active):
        return False
    others = Collaborator.objects.active_admins().filter(reseller_id=collaborator.reseller_id)
    return not others.exclude(pk=collaborator.pk).exists()


# Rules ------------------------------------------------------------------------------------------


def edit_refusal(*, actor, collaborator):
    """Why `actor` may not change `collaborator`'s access at all, or None."""
    if (
        actor is None
        or actor.reseller_id != collaborator.reseller_id
        or not actor.can_open(Module.COLLABORATORS)
    ):
        return _("You are not allowed to change collaborators' access.")
    if collaborator.is_admin and not actor.is_admin:
        return _("Only an administrator can change an administrator's access.")
    return None


def admin_change_refusal(*, actor, collaborator, is_admin):
    """Why `actor` may not set `collaborator`'s admin flag to `is_admin`, or None."""
    if is_admin == collaborator.is_admin:
        return None
    if not actor.is_admin:
        return _("Only an administrator can grant or revoke administrator access.")
    if not is_admin:
        if refusal := _last_admin_refusal(collaborator):
            return refusal
        if collaborator.pk == actor.pk:
            return _("You cannot revoke your own administrator access.")
    return None


def _last_admin_refusal(collaborator):
    if is_last_active_admin(collaborator):
        return _(
            "%(name)s is the reseller's last active administrator: "
            "make someone else an administrator first."
        ) % {"name": collaborator}
    return None


def deactivation_refusal(*, actor, collaborator):
    refusal = edit_refusal(actor=actor, collaborator=collaborator)
    if refusal:
        return refusal
    if not collaborator.is_active:
        return _("The access of %(name)s is already deactivated.") % {"name": collaborator}
    if refusal := _last_admin_refusal(collaborator):
        return refusal
    if collaborator.pk == actor.pk:
        return _("You cannot deactivate your own access.")
    return None


def reactivation_refusal(*, actor, collaborator):
    refusal = edit_refusal(actor=actor, collaborator=collaborator)
    if refusal:
        return refusal
    if collaborator.is_active:
        return _("The access of %(name)s is already active.") % {"name": collaborator}
    return None


# Writes -----------------------------------------------------------------------------------------


def _lock(*, actor, collaborator):
    """Locks the reseller and returns fresh copies of the actor and the target."""
    Reseller.objects.select_for_update().filter(pk=collaborator.reseller_id).first()
    target = (
        Collaborator.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=collaborator.pk)
    )
    actor = Collaborator.objects.filter(pk=actor.pk).first() if actor is not None else None
    return actor, target


def _record(*, collaborator, actor, before, after, reason):
    return AccessChange.objects.create(
        collaborator=collaborator,
        changed_by_id=actor.user_id if actor is not None else None,
        before=before,
        after=after,
        reason=reason,
    )


def _write(*, collaborator, version=None, **fields):
    """Updates `fields` and bumps the version; with `version`, only if it has not moved."""
    rows = Collaborator.objects.filter(pk=collaborator.pk)
    if version is not None:
        rows = rows.filter(version=version)
    if rows.update(**fields, version=F("version") + 1) != 1:
        raise ConcurrentChange
    for name, value in fields.items():
        setattr(collaborator, name, value)
    collaborator.refresh_from_db(fields=["version"])


@transaction.atomic
def collaborator_update_access(*, actor, collaborator, is_admin, modules, version):
    """Sets the admin flag and the modules, as of the collaborator's `version` in the form.

    Returns the AccessChange, or None when nothing changed. Raises ConcurrentChange if the
    collaborator changed since `version`, AccessRefused if a rule forbids the change.
    """
    actor, target = _lock(actor=actor, collaborator=collaborator)
    if target.version != version:
        raise ConcurrentChange
    refusal = edit_refusal(actor=actor, collaborator=target) or admin_change_refusal(
        actor=actor, collaborator=target, is_admin=is_admin
    )
    if refusal:
        raise AccessRefused(refusal)
    try:
        modules = sorted({Module(m).value for m in modules})
    except ValueError:
        raise AccessRefused(_("Choose modules from the list.")) from None

    before = access_snapshot(target)
    after = {**before, "is_admin": is_admin, "modules": modules}
    if after == before:
        return None
    _write(collaborator=target, version=version, is_admin=is_admin)
    target.set_modules(modules)
    return _record(
        collaborator=target, actor=actor, before=before, after=after, reason=REASON_UPDATED
    )


@transaction.atomic
def collaborator_deactivate(*, actor, collaborator):
    """Switches the collaborator's access off: they are signed out at their next request (see
    CollaboratorMiddleware) and cannot log in until reactivated. Grants are kept."""
    actor, target = _lock(actor=actor, collaborator=collaborator)
    refusal = deactivation_refusal(actor=actor, collaborator=target)
    if refusal:
        raise AccessRefused(refusal)
    before = access_snapshot(target)
    _write(collaborator=target, is_active=False)
    return _record(
        collaborator=target,
        actor=actor,
        before=before,
        after={**before, "is_active": False},
        reason=REASON_DEACTIVATED,
    )


@transaction.atomic
def collaborator_reactivate(*, actor, collaborator):
    """Switches the access back on, with the admin flag and modules it had."""
    actor, target = _lock(actor=actor, collaborator=collaborator)
    refusal = reactivation_refusal(actor=actor, collaborator=target)
    if refusal:
        raise AccessRefused(refusal)
    before = access_snapshot(target)
    _write(collaborator=target, is_active=True)
    return _record(
        collaborator=target,
        actor=actor,
        before=before,
        after={**before, "is_active": True},
        reason=REASON_REACTIVATED,
    )

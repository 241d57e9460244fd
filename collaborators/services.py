"""Changes to a collaborator's access: permissions, deactivation, reactivation.

Every write here:

- takes the reseller's row lock first, so that two changes to one reseller's access run one after
  the other (two admins demoting each other at once would otherwise leave it with none);
- re-reads the actor and the target under that lock and checks the rules on what they are now,
  not on what the page showed;
- bumps the target's `version`, so an edit form opened before the change is refused, not applied
  over it;
- records an AccessChange (who, whom, when, the access before and after) and logs a security
  event once the change is committed; a refusal is logged with its reason code.

The actor is either one of the reseller's collaborators (the portal's pages) or a distributor
staff User (the Django admin). The rules, least privilege first:

- staff may do anything, except what no one may: demote or deactivate a reseller's last active
  administrator;
- an administrator may do anything to its reseller's collaborators, except revoke their own
  administrator access or deactivate themselves, and the last active administrator stays;
- a collaborator with the Colaboradores module who is not an administrator never changes their
  own access nor an administrator's; for the others they grant or revoke only the modules they
  hold themselves, and deactivate or reactivate only someone whose every module they hold
  (deactivating switches all of them off, reactivating switches them back on).

The `*_refusal` functions say why an action is not allowed (a Refusal, or None); the pages use
them to show or hide inputs and buttons, and the writes use them again under the lock.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import Reseller
from collaborators.models import AccessChange, Collaborator, ModuleGrant
from collaborators.modules import Module
from portal import security

REASON_UPDATED = "permissions updated"
REASON_DEACTIVATED = "deactivated"
REASON_REACTIVATED = "reactivated"

ALL_MODULES = frozenset(Module.values)


@dataclass(frozen=True)
class Refusal:
    """Why an action is not allowed: a stable code for the log, a message for the user."""

    code: str
    message: str

    def __str__(self):
        return self.message


class AccessRefused(Exception):
    """The change breaks a rule; the message says which, in words for the user."""

    def __init__(self, refusal):
        super().__init__(str(refusal))
        self.code = refusal.code
        self.message = str(refusal)


class InvalidChange(AccessRefused):
    """The change asks for something that does not exist, such as an unknown module."""


class ConcurrentChange(AccessRefused):
    """Someone else changed the collaborator after the form was opened."""

    def __init__(self):
        super().__init__(
            Refusal(
                "concurrent_change",
                _(
                    "This collaborator was changed by someone else while you were editing; "
                    "review the current permissions and save again."
                ),
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


# The actor --------------------------------------------------------------------------------------


def is_staff_actor(actor):
    """Distributor staff act as their User; reseller users act as their Collaborator."""
    return isinstance(actor, get_user_model())


def _full_authority(actor):
    """Staff and the reseller's administrators; both still obey the last-admin rule."""
    return actor is not None and (is_staff_actor(actor) or actor.is_admin)


def _acting_user_id(actor):
    if actor is None:
        return None
    return actor.pk if is_staff_actor(actor) else actor.user_id


def _is_self(actor, collaborator):
    return not is_staff_actor(actor) and actor.pk == collaborator.pk


def _module_names(codes):
    return ", ".join(str(Module(code).label) for code in sorted(codes))


# Rules ------------------------------------------------------------------------------------------


def edit_refusal(*, actor, collaborator):
    """Why `actor` may not change `collaborator`'s access at all, or None."""
    if is_staff_actor(actor):
        if not (
            actor.is_active
            and actor.is_staff
            and actor.has_perm("collaborators.change_collaborator")
        ):
            return Refusal("not_allowed", _("You are not allowed to change collaborators' access."))
        return None
    if (
        actor is None
        or actor.reseller_id != collaborator.reseller_id
        or not actor.can_open(Module.COLLABORATORS)
    ):
        return Refusal("not_allowed", _("You are not allowed to change collaborators' access."))
    if collaborator.is_admin and not actor.is_admin:
        return Refusal(
            "admin_target", _("Only an administrator can change an administrator's access.")
        )
    if not actor.is_admin and actor.pk == collaborator.pk:
        return Refusal("own_access", _("You cannot change your own access; ask an administrator."))
    return None


def manageable_modules(*, actor, collaborator):
    """The modules `actor` may grant or revoke for `collaborator`: all of them for staff and
    administrators, the ones they hold themselves for anyone else, none if they may not edit."""
    if edit_refusal(actor=actor, collaborator=collaborator):
        return frozenset()
    if _full_authority(actor):
        return ALL_MODULES
    return frozenset(actor.modules) & ALL_MODULES


def admin_change_refusal(*, actor, collaborator, is_admin):
    """Why `actor` may not set `collaborator`'s admin flag to `is_admin`, or None."""
    if is_admin == collaborator.is_admin:
        return None
    if not _full_authority(actor):
        return Refusal(
            "admin_only", _("Only an administrator can grant or revoke administrator access.")
        )
    if not is_admin:
        if refusal := _last_admin_refusal(collaborator):
            return refusal
        if _is_self(actor, collaborator):
            return Refusal("own_admin", _("You cannot revoke your own administrator access."))
    return None


def module_change_refusal(*, actor, collaborator, modules):
    """Why `actor` may not set `collaborator`'s modules to `modules`, or None."""
    changed = set(modules) ^ set(collaborator.modules)
    outside = changed - manageable_modules(actor=actor, collaborator=collaborator)
    if not outside:
        return None
    return Refusal(
        "module_not_held",
        _(
            "You can grant or revoke only the modules you hold yourself; "
            "ask an administrator to change: %(modules)s."
        )
        % {"modules": _module_names(outside)},
    )


def _whole_access_refusal(actor, collaborator):
    """Deactivating revokes every module at once and reactivating grants them back: someone
    who may manage only some modules may do either only to a collaborator holding no other."""
    if _full_authority(actor):
        return None
    outside = set(collaborator.modules) - set(actor.modules)
    if not outside:
        return None
    return Refusal(
        "module_not_held",
        _(
            "%(name)s holds modules you do not hold (%(modules)s): "
            "only an administrator can deactivate or reactivate their access."
        )
        % {"name": collaborator, "modules": _module_names(outside)},
    )


def toggle_offered(*, actor, collaborator):
    """Whether the list offers deactivation or reactivation of `collaborator` to `actor`: the
    cheap rules only, from what is loaded; the confirmation page explains any other refusal."""
    if actor is None or edit_refusal(actor=actor, collaborator=collaborator):
        return False
    return not _is_self(actor, collaborator) and not _whole_access_refusal(actor, collaborator)


def _last_admin_refusal(collaborator):
    if is_last_active_admin(collaborator):
        return Refusal(
            "last_admin",
            _(
                "%(name)s is the reseller's last active administrator: "
                "make someone else an administrator first."
            )
            % {"name": collaborator},
        )
    return None


def deactivation_refusal(*, actor, collaborator):
    refusal = edit_refusal(actor=actor, collaborator=collaborator)
    if refusal:
        return refusal
    if not collaborator.is_active:
        return Refusal(
            "already_inactive",
            _("The access of %(name)s is already deactivated.") % {"name": collaborator},
        )
    if refusal := _last_admin_refusal(collaborator):
        return refusal
    if _is_self(actor, collaborator):
        return Refusal("own_deactivation", _("You cannot deactivate your own access."))
    return _whole_access_refusal(actor, collaborator)


def reactivation_refusal(*, actor, collaborator):
    refusal = edit_refusal(actor=actor, collaborator=collaborator)
    if refusal:
        return refusal
    if collaborator.is_active:
        return Refusal(
            "already_active",
            _("The access of %(name)s is already active.") % {"name": collaborator},
        )
    return _whole_access_refusal(actor, collaborator)


# Writes -----------------------------------------------------------------------------------------


def _lock(*, actor, collaborator):
    """Locks the reseller and returns fresh copies of the actor and the target."""
    Reseller.objects.select_for_update().filter(pk=collaborator.reseller_id).first()
    target = (
        Collaborator.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=collaborator.pk)
    )
    if actor is None:
        return None, target
    if is_staff_actor(actor):
        return get_user_model().objects.filter(pk=actor.pk).first(), target
    return Collaborator.objects.select_related("user").filter(pk=actor.pk).first(), target


def _refuse(refusal, *, request, actor, target, action, error=AccessRefused):
    """Logs the refusal, then raises it. The log line also stands for the 403 that follows."""
    exception = refusal if isinstance(refusal, AccessRefused) else error(refusal)
    security.event(
        "access_change_refused",
        request,
        level=logging.INFO if isinstance(exception, ConcurrentChange) else logging.WARNING,
        user=_acting_user(actor, request),
        collaborator_id=target.pk,
        reseller_id=target.reseller_id,
        action=action,
        reason=exception.code,
        staff=is_staff_actor(actor),
    )
    raise exception


def _acting_user(actor, request):
    if actor is None:
        return None
    if is_staff_actor(actor):
        return actor
    request_user = getattr(request, "user", None)
    if request_user is not None and request_user.pk == actor.user_id:
        return request_user
    return actor.user


def _record(*, request, collaborator, actor, before, after, reason):
    change = AccessChange.objects.create(
        collaborator=collaborator,
        changed_by_id=_acting_user_id(actor),
        before=before,
        after=after,
        reason=reason,
    )
    user = _acting_user(actor, request)
    # Logged when committed: a change rolled back with the rest of its transaction never happened.
    transaction.on_commit(
        lambda: security.event(
            "access_changed",
            request,
            # Administrator access is the keys to the reseller: its every move stands out.
            level=logging.WARNING if before["is_admin"] != after["is_admin"] else logging.INFO,
            user=user,
            collaborator_id=collaborator.pk,
            reseller_id=collaborator.reseller_id,
            action=reason,
            before=before,
            after=after,
            staff=is_staff_actor(actor),
            access_change_id=change.pk,
        ),
        robust=True,
    )
    return change


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
def collaborator_update_access(*, actor, collaborator, is_admin, modules, version, request=None):
    """Sets the admin flag and the modules, as of the collaborator's `version` in the form.

    `actor` is a Collaborator of the same reseller or a staff User; `request`, when there is
    one, only adds the client's address and the request id to the security log.

    Returns the AccessChange, or None when nothing changed. Raises ConcurrentChange if the
    collaborator changed since `version`, InvalidChange for an unknown module, AccessRefused if
    a rule forbids the change.
    """
    action = REASON_UPDATED
    actor, target = _lock(actor=actor, collaborator=collaborator)
    fail = {"request": request, "actor": actor, "target": target, "action": action}
    if target.version != version:
        _refuse(ConcurrentChange(), **fail)
    if not set(modules) <= ALL_MODULES:
        _refuse(
            Refusal("unknown_module", _("Choose modules from the list.")),
            **fail,
            error=InvalidChange,
        )
    modules = sorted({Module(m).value for m in modules})
    refusal = (
        edit_refusal(actor=actor, collaborator=target)
        or admin_change_refusal(actor=actor, collaborator=target, is_admin=is_admin)
        or module_change_refusal(actor=actor, collaborator=target, modules=modules)
    )
    if refusal:
        _refuse(refusal, **fail)

    before = access_snapshot(target)
    after = {**before, "is_admin": is_admin, "modules": modules}
    if after == before:
        return None
    _write(collaborator=target, version=version, is_admin=is_admin)
    target.set_modules(modules)
    return _record(
        request=request,
        collaborator=target,
        actor=actor,
        before=before,
        after=after,
        reason=action,
    )


def _set_active(*, actor, collaborator, active, version, request):
    action = REASON_REACTIVATED if active else REASON_DEACTIVATED
    rule = reactivation_refusal if active else deactivation_refusal
    actor, target = _lock(actor=actor, collaborator=collaborator)
    fail = {"request": request, "actor": actor, "target": target, "action": action}
    if version is not None and target.version != version:
        _refuse(ConcurrentChange(), **fail)
    if refusal := rule(actor=actor, collaborator=target):
        _refuse(refusal, **fail)
    before = access_snapshot(target)
    _write(collaborator=target, version=version, is_active=active)
    return _record(
        request=request,
        collaborator=target,
        actor=actor,
        before=before,
        after={**before, "is_active": active},
        reason=action,
    )


@transaction.atomic
def collaborator_deactivate(*, actor, collaborator, version=None, request=None):
    """Switches the collaborator's access off: they are signed out at their next request (see
    CollaboratorMiddleware) and cannot log in until reactivated. Grants are kept.

    With `version`, refuses (ConcurrentChange) if the collaborator changed since."""
    return _set_active(
        actor=actor, collaborator=collaborator, active=False, version=version, request=request
    )


@transaction.atomic
def collaborator_reactivate(*, actor, collaborator, version=None, request=None):
    """Switches the access back on, with the admin flag and modules it had."""
    return _set_active(
        actor=actor, collaborator=collaborator, active=True, version=version, request=request
    )


@transaction.atomic
def collaborator_change_access(
    *, actor, collaborator, is_admin, modules, is_active, version, request=None
):
    """Sets the admin flag, the modules and the active flag at once, as the Django admin's form
    posts them, as of the collaborator's `version`: each part through its own function above,
    so under the same lock and rules, in an order that lets a legal combination pass (reactivate
    first, deactivate last). Any refusal undoes the whole change. Returns the AccessChanges.
    """
    fresh_actor, target = _lock(actor=actor, collaborator=collaborator)
    if target.version != version:
        _refuse(
            ConcurrentChange(),
            request=request,
            actor=fresh_actor,
            target=target,
            action=REASON_UPDATED,
        )
    changes = []

    def keep(change):
        nonlocal version
        if change is not None:
            changes.append(change)
            version = change.collaborator.version

    if is_active and not target.is_active:
        keep(collaborator_reactivate(**_args(actor, target, version, request)))
    keep(
        collaborator_update_access(
            **_args(actor, target, version, request), is_admin=is_admin, modules=modules
        )
    )
    if not is_active and target.is_active:
        keep(collaborator_deactivate(**_args(actor, target, version, request)))
    return changes


def _args(actor, target, version, request):
    return {"actor": actor, "collaborator": target, "version": version, "request": request}

"""Explicit status lifecycles: a transition is allowed or it raises, and each one is recorded."""

from django.db import transaction
from django.utils.translation import gettext as _


class IllegalTransition(Exception):
    pass


class Lifecycle:
    """The allowed moves of one status field: {from_status: {to_status, ...}}."""

    def __init__(self, transitions, field="status"):
        self.transitions = {frm: frozenset(tos) for frm, tos in transitions.items()}
        self.field = field

    def allows(self, frm, to):
        return to in self.transitions.get(frm, ())

    def targets(self, frm):
        return self.transitions.get(frm, frozenset())


class LifecycleMixin:
    """For models with a `lifecycle` class attribute; moves are row-locked and audited."""

    lifecycle: Lifecycle

    def transition_to(self, to, *, by=None, reason="", extra_updates=None):
        from portal.models import StatusChange

        field = self.lifecycle.field
        with transaction.atomic():
            # Re-read under a lock so two people clicking at once cannot both move the same row.
            current = type(self)._base_manager.select_for_update().get(pk=self.pk)
            frm = getattr(current, field)
            if not self.lifecycle.allows(frm, to):
                raise IllegalTransition(
                    _("%(model)s %(obj)s cannot go from “%(frm)s” to “%(to)s”.")
                    % {"model": self._meta.verbose_name, "obj": self, "frm": frm, "to": to}
                )
            setattr(self, field, to)
            updates = {field: to, **(extra_updates or {})}
            for name, value in updates.items():
                setattr(self, name, value)
            type(self)._base_manager.filter(pk=self.pk).update(**updates)
            return StatusChange.record(self, field=field, frm=frm, to=to, by=by, reason=reason)

    def status_history(self):
        from portal.models import StatusChange

        return StatusChange.objects.for_object(self)

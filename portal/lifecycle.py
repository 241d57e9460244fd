"""Explicit status lifecycles: a transition is allowed or it raises, and each one is recorded."""

from django.db import transaction
from django.utils.translation import gettext as _

from portal.models import StatusChange


class IllegalTransition(Exception):
    pass


class ReasonRequired(IllegalTransition):
    """The move is in the table, but only with a reason (on hold, refused)."""


class Lifecycle:
    """The allowed moves of one status field: {from_status: {to_status, ...}}.

    `needs_reason` maps the statuses that may only be entered with a reason to the model field
    that keeps the latest one (or None when the history alone keeps it).
    """

    def __init__(self, transitions, field="status", needs_reason=None):
        self.transitions = {frm: frozenset(tos) for frm, tos in transitions.items()}
        self.field = field
        self.needs_reason = dict(needs_reason or {})

    def allows(self, frm, to):
        return to in self.transitions.get(frm, ())

    def targets(self, frm):
        return self.transitions.get(frm, frozenset())

    def reason_required(self, to):
        return to in self.needs_reason


class LifecycleMixin:
    """For models with a `lifecycle` class attribute; moves are row-locked and audited."""

    lifecycle: "Lifecycle"

    def transition_to(self, to, *, by=None, reason="", extra_updates=None):
        field = self.lifecycle.field
        with transaction.atomic():
            # Re-read under a lock so two people clicking at once cannot both move the same row.
            current = type(self)._base_manager.select_for_update().get(pk=self.pk)
            frm = getattr(current, field)
            if not self.lifecycle.allows(frm, to):
                raise IllegalTransition(
                    _("%(model)s %(obj)s cannot go from “%(frm)s” to “%(to)s”.")
                    % self._transition_labels(frm, to)
                )
            if self.lifecycle.reason_required(to) and not (reason or "").strip():
                raise ReasonRequired(
                    _("%(model)s %(obj)s needs a reason to go to “%(to)s”.")
                    % self._transition_labels(frm, to)
                )
            updates = {field: to}
            if reason_field := self.lifecycle.needs_reason.get(to):
                updates[reason_field] = reason
            updates.update(extra_updates or {})
            for name, value in updates.items():
                setattr(self, name, value)
                setattr(current, name, value)
            type(self)._base_manager.filter(pk=self.pk).update(**updates)
            # The row as locked, not this instance, which may be older: derived data moves by
            # what is stored.
            current.after_transition(frm, to)
            return StatusChange.record(self, field=field, frm=frm, to=to, by=by, reason=reason)

    def after_transition(self, frm, to):
        """Runs inside the transition's transaction, on the row as locked and moved; models keep
        derived data in step here."""

    def status_history(self):
        return StatusChange.objects.for_object(self)

    def labelled_status_history(self):
        """(change, from label, to label) for each move, for the detail pages."""
        labels = dict(self._meta.get_field(self.lifecycle.field).flatchoices)
        return [
            (change, labels.get(change.from_status, change.from_status), labels[change.to_status])
            if change.to_status in labels
            else (change, change.from_status, change.to_status)
            for change in self.status_history()
        ]

    def _transition_labels(self, frm, to):
        labels = dict(self._meta.get_field(self.lifecycle.field).flatchoices)
        return {
            "model": self._meta.verbose_name,
            "obj": self,
            "frm": labels.get(frm, frm),
            "to": labels.get(to, to),
        }

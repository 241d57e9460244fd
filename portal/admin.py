"""Admin building blocks shared by every app: read-only status history, transition actions,
reseller/account filters that stay small on big tables, the guard against hostile query strings
and forged ids that every ModelAdmin carries, and the StatusChange admin itself."""

import re

from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME, ActionForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.db import NotSupportedError, connections
from django.db.models.constants import LOOKUP_SEP
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import cnpj
from portal.lifecycle import IllegalTransition
from portal.models import StatusChange

# How many failures an action spells out before it only counts the rest.
_ERRORS_SHOWN = 5


@admin.display(description=_("CNPJ"), ordering="cnpj")
def cnpj_display(obj):
    return cnpj.format_cnpj(obj.cnpj)


def status_labels(model):
    field = model._meta.get_field(model.lifecycle.field)
    return dict(field.flatchoices)


def lifecycle_models():
    return [m for m in apps.get_models() if hasattr(m, "lifecycle")]


class ReadOnlyAdminMixin:
    """For audit trails: staff may look, nobody may write through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Lookups that a query string cannot use: the database compiles a regex and raises on a
# malformed one, and a range needs two values that the admin never splits out of one parameter.
REFUSED_LOOKUPS = frozenset({"regex", "iregex", "range"})


class GuardedChangeList(ChangeList):
    """The changelist, where a query string that the database cannot answer gets the admin's
    answer to a bad filter (a redirect to "?e=1") before any query runs, instead of a 500."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            # The date hierarchy builds datetimes from the year, month and day it is given and
            # guards only part of it: a year of 9999 overflows, 10**30 does not fit a C int.
            raise IncorrectLookupParameters(exc) from exc

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            # Compiling runs no query but prepares every lookup: `changed_at__year=10000`
            # fails only here, and otherwise would fail while the page renders.
            _sql, params = queryset.query.get_compiler(queryset.db).as_sql()
        except (EmptyResultSet, FullResultSet):
            return queryset
        except (ValueError, OverflowError, TypeError, IndexError, NotSupportedError) as exc:
            # NotSupportedError: a lookup that this database lacks (JSON `__contains` on SQLite).
            raise IncorrectLookupParameters(exc) from exc
        # No column holds an integer beyond 64 bits, and SQLite refuses to bind one
        # (`pk__in=10**30`; the other integer lookups already answer "no rows").
        low, high = connections[queryset.db].ops.integer_field_range("BigIntegerField")
        if any(type(p) is int and not low <= p <= high for p in params):
            raise IncorrectLookupParameters("an integer beyond 64 bits")
        return queryset


def _fits(field, value):
    """Whether `value`, as posted, can be looked up in `field` without a database error."""
    if "\x00" in str(value):
        return False
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


class _GuardedAutocomplete:
    """A refused form is shown again with what was posted, and Django's autocomplete widget
    looks the posted ids up as they came: one that is no id would raise, so it is left out."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(
            getattr(remote, "field_name", None) or remote.model._meta.pk.name
        )
        return super().optgroups(name, [v for v in value if _fits(target, v)], attr)


class GuardedAutocompleteSelect(_GuardedAutocomplete, AutocompleteSelect):
    pass


class GuardedAutocompleteSelectMultiple(_GuardedAutocomplete, AutocompleteSelectMultiple):
    pass


class GuardedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django checks each posted id's type, not its range, before `pk__in`: SQLite refuses to
    bind an integer beyond 64 bits, so such an id is refused here as any invalid one is."""

    def _check_values(self, value):
        model = self.queryset.model
        key = self.to_field_name
        field = model._meta.get_field(key) if key else model._meta.pk
        for pk in value:
            if not _fits(field, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class GuardedAdminMixin:
    """For every ModelAdmin of the site: hostile filters in the changelist's query string are
    refused (400) or answered as a bad filter, and forged ids in what is posted to the list or
    to a form are refused with a message, never a database error."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", GuardedModelMultipleChoiceField)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changelist(self, request, **kwargs):
        return GuardedChangeList

    def lookup_allowed(self, lookup, value, request):
        if REFUSED_LOOKUPS.intersection(lookup.split(LOOKUP_SEP)[1:]):
            return False
        return super().lookup_allowed(lookup, value, request)

    def response_action(self, request, queryset):
        # Django filters by the posted selection as it comes: an id that is not a number raises
        # while filtering, and one beyond the column's range when SQLite binds it.
        pk = self.model._meta.pk
        if not all(_fits(pk, v) for v in request.POST.getlist(ACTION_CHECKBOX_NAME)):
            self.message_user(
                request,
                _("The selection is not valid. No items have been changed."),
                level=messages.ERROR,
            )
            return None
        return super().response_action(request, queryset)

    def _get_list_editable_queryset(self, request, prefix):
        # Django checks that the posted row ids are numbers, not that they fit the column; its
        # answer to a forged id, every row, then lets the formset refuse it.
        pk = self.model._meta.pk
        if not all(_fits(pk, v) for v in self._get_edited_object_pks(request, prefix)):
            return self.get_queryset(request)
        return super()._get_list_editable_queryset(request, prefix)


class PortalModelAdmin(GuardedAdminMixin, admin.ModelAdmin):
    """A search box that finds a CNPJ typed with its punctuation, as people copy it."""

    def get_search_results(self, request, queryset, search_term):
        if cnpj.is_valid(search_term):
            search_term = cnpj.strip(search_term)
        return super().get_search_results(request, queryset, search_term)


class StatusHistoryInline(ReadOnlyAdminMixin, GenericTabularInline):
    """A lifecycle object's moves: who, when, why. Written only by `transition_to`."""

    model = StatusChange
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("changed_at", "from_label", "to_label", "changed_by", "reason")
    readonly_fields = fields
    extra = 0
    max_num = 0
    ordering = ("changed_at", "pk")
    verbose_name = _("status change")
    verbose_name_plural = _("status history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    def has_view_permission(self, request, obj=None):
        # Whoever may see the object may see how it got where it is.
        parent = self.parent_model._meta
        return (
            super().has_view_permission(request, obj)
            or request.user.has_perm(f"{parent.app_label}.view_{parent.model_name}")
            or request.user.has_perm(f"{parent.app_label}.change_{parent.model_name}")
        )

    @admin.display(description=_("from"))
    def from_label(self, obj):
        return status_labels(self.parent_model).get(obj.from_status, obj.from_status) or "—"

    @admin.display(description=_("to"))
    def to_label(self, obj):
        return status_labels(self.parent_model).get(obj.to_status, obj.to_status)


class TransitionActionForm(ActionForm):
    """The changelist's action bar, with the "why" that every status change records."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 40}),
    )


def transition_action(to, description, name=None):
    """An admin action that moves each selected object to `to` through its lifecycle.

    Illegal moves are reported per object and leave that object as it was; the others move.
    """

    def action(modeladmin, request, queryset):
        reason = (request.POST.get("reason") or "").strip()
        lifecycle = modeladmin.model.lifecycle
        if not reason and not lifecycle.reason_required(to):
            reason = str(_("Django admin: %(action)s") % {"action": description})
        moved, errors = 0, []
        for obj in queryset:
            try:
                obj.transition_to(to, by=request.user, reason=reason)
            except IllegalTransition as exc:
                errors.append(str(exc))
            else:
                moved += 1
        if moved:
            modeladmin.message_user(
                request,
                ngettext(
                    "%(count)d %(name)s moved to “%(to)s”.",
                    "%(count)d %(name)s moved to “%(to)s”.",
                    moved,
                )
                % {
                    "count": moved,
                    "name": (
                        modeladmin.model._meta.verbose_name
                        if moved == 1
                        else modeladmin.model._meta.verbose_name_plural
                    ),
                    "to": status_labels(modeladmin.model).get(to, to),
                },
                level=messages.SUCCESS,
            )
        if errors:
            shown = " ".join(errors[:_ERRORS_SHOWN])
            if len(errors) > _ERRORS_SHOWN:
                shown += " " + str(
                    _("…and %(count)d more.") % {"count": len(errors) - _ERRORS_SHOWN}
                )
            modeladmin.message_user(request, shown, level=messages.ERROR)

    action.__name__ = name or f"transition_to_{to}"
    return admin.action(description=description, permissions=["change"])(action)


class LifecycleAdmin(PortalModelAdmin):
    """For models with a lifecycle: the status moves only through the transition actions, and
    the change page shows the read-only history of those moves."""

    action_form = TransitionActionForm
    history_inline = StatusHistoryInline

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Fields that the lifecycle fills in (a hold reason, a refusal reason) move with it.
        for name in (self.model.lifecycle.field, *self.model.lifecycle.needs_reason.values()):
            if name and name not in readonly:
                readonly.append(name)
        return readonly

    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        if obj is not None:
            inlines.append(self.history_inline)
        return inlines


# A primary key as the filters' query parameters carry it: ASCII digits that fit a bigint.
ID_PARAMETER = re.compile(r"[0-9]{1,18}")


def filter_id(value):
    """The id in a list filter's parameter, or IncorrectLookupParameters ("?e=1")."""
    if not ID_PARAMETER.fullmatch(str(value)):
        raise IncorrectLookupParameters(f"not an id: {value!r}")
    return int(value)


class LifecycleModelFilter(admin.SimpleListFilter):
    """Which kind of object moved; lists only models that have a lifecycle."""

    title = _("object type")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        return [
            (f"{m._meta.app_label}.{m._meta.model_name}", m._meta.verbose_name.capitalize())
            for m in lifecycle_models()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value or "." not in value:
            return queryset
        app_label, model = value.split(".", 1)
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class ToStatusFilter(admin.SimpleListFilter):
    """The statuses of every lifecycle, from the code, rather than a DISTINCT over the table."""

    title = _("to")
    parameter_name = "to"

    def lookups(self, request, model_admin):
        choices = {}
        for model in lifecycle_models():
            for value, label in status_labels(model).items():
                choices.setdefault(value, label)
        return sorted(choices.items(), key=lambda item: str(item[1]))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(to_status=self.value())
        return queryset


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdminMixin, GuardedAdminMixin, admin.ModelAdmin):
    list_display = (
        "changed_at",
        "content_type",
        "subject_link",
        "from_label",
        "to_label",
        "changed_by",
        "reason",
    )
    list_filter = (LifecycleModelFilter, ToStatusFilter, "changed_at")
    search_fields = ("changed_by__email", "reason", "object_id__exact")
    list_select_related = ("content_type", "changed_by")
    date_hierarchy = "changed_at"
    ordering = ("-changed_at", "-pk")
    show_full_result_count = False

    def _label(self, obj, value):
        # ContentType caches its model class, so this costs no query per row.
        model = obj.content_type.model_class()
        if model is None or not hasattr(model, "lifecycle"):
            return value
        return status_labels(model).get(value, value)

    @admin.display(description=_("from"), ordering="from_status")
    def from_label(self, obj):
        return self._label(obj, obj.from_status) or "—"

    @admin.display(description=_("to"), ordering="to_status")
    def to_label(self, obj):
        return self._label(obj, obj.to_status)

    @admin.display(description=_("object"))
    def subject_link(self, obj):
        # Link by id rather than loading every row's subject: one query per page, not per row.
        ct = obj.content_type
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[obj.object_id])
        except NoReverseMatch:
            return obj.object_id
        return format_html('<a href="{}">{} #{}</a>', url, ct.name, obj.object_id)


# The admins that Django and allauth register, with the same guard as the portal's own.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(GuardedAdminMixin, DjangoGroupAdmin):
    pass


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(GuardedAdminMixin, AllauthEmailAddressAdmin):
    pass

from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from collaborators.models import AccessChange, Collaborator, ModuleGrant
from collaborators.services import access_snapshot
from portal.admin import PortalModelAdmin, ReadOnlyAdminMixin, reseller_filter

ADMIN_REASON = "Django admin"


class ModuleGrantInline(admin.TabularInline):
    model = ModuleGrant
    extra = 0


class AccessChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AccessChange
    fk_name = "collaborator"
    fields = ("changed_at", "changed_by", "before", "after", "reason")
    readonly_fields = fields
    extra = 0
    max_num = 0
    verbose_name_plural = _("access history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


@admin.register(Collaborator)
class CollaboratorAdmin(PortalModelAdmin):
    list_display = (
        "user",
        "email",
        "reseller",
        "is_admin",
        "is_active",
        "module_list",
        "first_access",
        "last_access",
    )
    list_filter = (
        "is_admin",
        "is_active",
        "grants__module",
        reseller_filter("reseller"),
        "first_access",
        "last_access",
    )
    search_fields = ("user__email", "user__name", "reseller__name", "reseller__code")
    list_select_related = ("user", "reseller")
    autocomplete_fields = ("user", "reseller")
    readonly_fields = ("first_access", "last_access", "version")
    inlines = [ModuleGrantInline, AccessChangeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("grants")

    @admin.display(description=_("e-mail"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("modules"))
    def module_list(self, obj):
        if obj.is_admin:
            return _("all (administrator)")
        return ", ".join(str(g.get_module_display()) for g in obj.grants.all()) or "—"

    def save_model(self, request, obj, form, change):
        # Snapshot before anything is written; the grants are saved later, in save_related.
        stored = Collaborator.objects.filter(pk=obj.pk).first() if change else None
        request._access_before = access_snapshot(stored) if stored else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Every change to access is recorded, including those made here by staff (DESIGN §3).
        collaborator = form.instance
        before = getattr(request, "_access_before", {})
        after = access_snapshot(collaborator)
        if before != after:
            AccessChange.objects.create(
                collaborator=collaborator,
                changed_by=request.user,
                before=before,
                after=after,
                reason=ADMIN_REASON,
            )
            Collaborator.objects.filter(pk=collaborator.pk).update(version=F("version") + 1)


@admin.register(ModuleGrant)
class ModuleGrantAdmin(ReadOnlyAdminMixin, PortalModelAdmin):
    """Read-only: grants are edited on the collaborator, where the change is recorded."""

    list_display = ("collaborator", "module", "reseller")
    list_filter = ("module", reseller_filter("collaborator__reseller"))
    search_fields = (
        "collaborator__user__email",
        "collaborator__user__name",
        "collaborator__reseller__code",
    )
    list_select_related = ("collaborator__user", "collaborator__reseller")

    @admin.display(description=_("reseller"), ordering="collaborator__reseller__name")
    def reseller(self, obj):
        return obj.collaborator.reseller


@admin.register(AccessChange)
class AccessChangeAdmin(ReadOnlyAdminMixin, PortalModelAdmin):
    list_display = ("changed_at", "collaborator", "reseller", "changed_by", "reason")
    list_filter = ("changed_at", reseller_filter("collaborator__reseller"))
    search_fields = (
        "collaborator__user__email",
        "collaborator__user__name",
        "changed_by__email",
        "reason",
    )
    list_select_related = ("collaborator__user", "collaborator__reseller", "changed_by")
    date_hierarchy = "changed_at"
    fields = ("collaborator", "changed_by", "changed_at", "before", "after", "reason")
    readonly_fields = fields

    @admin.display(description=_("reseller"), ordering="collaborator__reseller__name")
    def reseller(self, obj):
        return obj.collaborator.reseller

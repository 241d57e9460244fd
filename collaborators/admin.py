from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from accounts.filters import reseller_filter
from collaborators import services
from collaborators.forms import modules_field, version_field
from collaborators.models import AccessChange, Collaborator, ModuleGrant
from portal.admin import PortalModelAdmin, ReadOnlyAdminMixin


class CollaboratorAdminForm(forms.ModelForm):
    """The access a staff member sets: admin flag, modules and active flag, as of the version
    the form was opened at, so a change made meanwhile in the portal is not silently undone."""

    modules = modules_field(_("modules"))
    access_version = version_field()

    class Meta:
        model = Collaborator
        fields = ("is_admin", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["modules"].initial = sorted(self.instance.modules)
            self.fields["access_version"].initial = self.instance.version
        self.fields["access_version"].error_messages["required"] = _(
            "This form is out of date; open the collaborator again."
        )


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
    # The user and the reseller come from the e-commerce store at each login; moving someone
    # here would carry their access to another reseller and could leave theirs without an admin.
    readonly_fields = ("user", "reseller", "first_access", "last_access", "version")
    form = CollaboratorAdminForm
    fields = (
        "user",
        "reseller",
        "is_admin",
        "modules",
        "is_active",
        "first_access",
        "last_access",
        "version",
        "access_version",
    )
    inlines = [AccessChangeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("grants")

    def has_add_permission(self, request):
        # A collaborator is created by their first login, from what the e-commerce store says.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would erase the access history and could remove a reseller's last admin:
        # deactivate instead.
        return False

    @admin.display(description=_("e-mail"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("modules"))
    def module_list(self, obj):
        if obj.is_admin:
            return _("all (administrator)")
        return ", ".join(str(g.get_module_display()) for g in obj.grants.all()) or "—"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.AccessRefused as refused:
            # Raised inside the admin's transaction, which is rolled back: nothing was saved.
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        # The same service, lock, rules, history and security log as the portal's pages; the
        # staff member acts as their own User, with full authority but for the last-admin rule.
        services.collaborator_change_access(
            actor=request.user,
            collaborator=obj,
            is_admin=form.cleaned_data["is_admin"],
            modules=form.cleaned_data["modules"],
            is_active=form.cleaned_data["is_active"],
            version=form.cleaned_data["access_version"],
            request=request,
        )
        obj.refresh_from_db()


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

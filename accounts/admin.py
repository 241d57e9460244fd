from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.templatetags.auth import render_password_as_hash
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.filters import reseller_filter
from accounts.models import EcommerceUser, Reseller, ResellerAccount, User
from portal.admin import GuardedAdminMixin, PortalModelAdmin, cnpj_display

LOCAL_PASSWORD_FOR_STAFF_ONLY = _(
    "Only distributor staff have a local password. Reseller users sign in with their "
    "e-commerce credentials."
)


class StaffCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "is_staff")

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                self.instance.unique_error_message(User, ["email"]), code="unique"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("set_usable_password") and not cleaned.get("is_staff"):
            self.add_error("usable_password", LOCAL_PASSWORD_FOR_STAFF_ONLY)
        return cleaned


class PortalUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        field_classes = {}


@admin.register(User)
class UserAdmin(GuardedAdminMixin, DjangoUserAdmin):
    """Django's user admin, for a model that logs in by e-mail and has no username."""

    form = PortalUserChangeForm
    add_form = StaffCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "name",
                    "is_staff",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = (
        "email",
        "name",
        "reseller",
        "is_staff",
        "is_superuser",
        "is_active",
        "last_login",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "date_joined", "last_login")
    list_select_related = ("collaborator__reseller",)
    search_fields = (
        "email",
        "name",
        "collaborator__reseller__name",
        "collaborator__reseller__code",
    )
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "password_status")

    @admin.display(description=_("reseller"))
    def reseller(self, obj):
        collaborator = getattr(obj, "collaborator", None)
        return collaborator.reseller if collaborator else "—"

    @admin.display(description=_("Password"))
    def password_status(self, obj):
        return render_password_as_hash(obj.password)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.is_staff:
            return fieldsets
        # A reseller user shows Django's "no password set", without the button to set one.
        return tuple(
            (
                title,
                {
                    **options,
                    "fields": tuple(
                        "password_status" if f == "password" else f for f in options["fields"]
                    ),
                },
            )
            for title, options in fieldsets
        )

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and not user.is_staff:
            self.message_user(request, LOCAL_PASSWORD_FOR_STAFF_ONLY, level=messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:accounts_user_change", args=[user.pk])
            )
        return super().user_change_password(request, id, form_url)


class ResellerAccountInline(admin.TabularInline):
    model = ResellerAccount
    fields = ("code", "name", "cnpj")
    extra = 0
    show_change_link = True


@admin.register(Reseller)
class ResellerAdmin(PortalModelAdmin):
    list_display = ("name", "code", cnpj_display, "created_at")
    list_filter = ("created_at",)
    search_fields = ("name", "code", "cnpj")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)
    inlines = [ResellerAccountInline]


@admin.register(ResellerAccount)
class ResellerAccountAdmin(PortalModelAdmin):
    list_display = ("code", "name", cnpj_display, "reseller")
    list_filter = (reseller_filter("reseller"),)
    search_fields = ("code", "name", "cnpj", "reseller__name", "reseller__code")
    list_select_related = ("reseller",)
    autocomplete_fields = ("reseller",)


class EcommerceUserForm(forms.ModelForm):
    """Sets the local store's password from a plain field; the hash is never shown."""

    new_password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = EcommerceUser
        fields = ("login", "name", "reseller", "is_admin", "is_active", "is_locked")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["new_password"].required = True
            self.fields["new_password"].help_text = ""

    def save(self, commit=True):
        if self.cleaned_data.get("new_password"):
            self.instance.set_password(self.cleaned_data["new_password"])
        return super().save(commit)


@admin.register(EcommerceUser)
class EcommerceUserAdmin(PortalModelAdmin):
    form = EcommerceUserForm
    list_display = ("login", "name", "reseller", "is_admin", "is_active", "is_locked")
    list_filter = ("is_admin", "is_active", "is_locked", reseller_filter("reseller"))
    search_fields = ("login", "name", "reseller__name", "reseller__code")
    list_select_related = ("reseller",)
    autocomplete_fields = ("reseller",)

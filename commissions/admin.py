from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.filters import account_filter, reseller_filter
from commissions.models import Commission, CommissionRequest, Company, Installment
from portal.admin import (
    LifecycleAdmin,
    PortalModelAdmin,
    ReadOnlyAdminMixin,
    cnpj_display,
    transition_action,
)


@admin.register(Company)
class CompanyAdmin(PortalModelAdmin):
    """Companies are data that staff edit, not code."""

    list_display = ("code", "legal_name", cnpj_display, "invoice_prefix")
    search_fields = ("code", "legal_name", "cnpj", "invoice_prefix")


@admin.register(Installment)
class InstallmentAdmin(PortalModelAdmin):
    list_display = (
        "__str__",
        "company",
        "account",
        "customer",
        "issue_date",
        "due_date",
        "amount",
        "paid_date",
    )
    list_filter = (
        "company",
        reseller_filter("account__reseller"),
        account_filter("account"),
        "issue_date",
        "due_date",
        "paid_date",
    )
    search_fields = (
        "invoice_number__exact",
        "account__code__exact",
        "customer__code__exact",
        "customer__cnpj__exact",
    )
    list_select_related = ("company", "account", "customer")
    autocomplete_fields = ("account", "customer", "order")
    date_hierarchy = "issue_date"
    ordering = ("-pk",)
    show_full_result_count = False


@admin.register(Commission)
class CommissionAdmin(LifecycleAdmin):
    list_display = (
        "installment",
        "account",
        "company",
        "sale_type",
        "net_amount",
        "status",
        "payment_date",
    )
    list_filter = (
        "status",
        "company",
        "sale_type",
        reseller_filter("account__reseller"),
        account_filter("account"),
        "issue_date",
        "due_date",
        "payment_date",
    )
    search_fields = (
        "installment__invoice_number__exact",
        "account__code__exact",
        "payment_document__exact",
    )
    list_select_related = ("installment", "account", "company")
    autocomplete_fields = ("installment", "account", "request")
    ordering = ("-issue_date", "-pk")
    show_full_result_count = False
    actions = [
        transition_action(Commission.Status.RELEASED, _("Release")),
        transition_action(Commission.Status.ON_HOLD, _("Put on hold (give the reason)")),
        transition_action(Commission.Status.CANCELLED, _("Cancel")),
        transition_action(Commission.Status.REVERSED, _("Reverse")),
    ]


class RequestCommissionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Commission
    fk_name = "request"
    fields = ("installment", "account", "net_amount", "status")
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("installment", "account")


@admin.register(CommissionRequest)
class CommissionRequestAdmin(LifecycleAdmin):
    list_display = ("__str__", "reseller", "company", "total", "status", "created_at", "created_by")
    list_filter = ("status", "company", reseller_filter("reseller"), "created_at")
    search_fields = ("reseller__name", "reseller__code", "created_by__email")
    list_select_related = ("reseller", "company", "created_by")
    autocomplete_fields = ("reseller", "created_by")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    inlines = [RequestCommissionInline]
    actions = [
        transition_action(CommissionRequest.Status.IN_ANALYSIS, _("Start analysis")),
        transition_action(CommissionRequest.Status.APPROVED, _("Approve")),
        transition_action(CommissionRequest.Status.REFUSED, _("Refuse (give the reason)")),
        transition_action(CommissionRequest.Status.PAID, _("Mark as paid")),
        transition_action(CommissionRequest.Status.CANCELLED, _("Cancel")),
    ]

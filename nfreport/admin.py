from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.filters import reseller_filter
from nfreport.models import ServiceInvoice
from portal.admin import LifecycleAdmin, transition_action


@admin.register(ServiceInvoice)
class ServiceInvoiceAdmin(LifecycleAdmin):
    list_display = ("__str__", "request", "reseller", "amount", "status", "sent_at")
    list_filter = (
        "status",
        "request__company",
        reseller_filter("request__reseller"),
        "sent_at",
    )
    search_fields = ("number__exact", "request__reseller__code", "request__reseller__name")
    list_select_related = ("request__reseller", "request__company")
    autocomplete_fields = ("request",)
    readonly_fields = ("sent_at",)
    date_hierarchy = "sent_at"
    actions = [
        transition_action(ServiceInvoice.Status.IN_ANALYSIS, _("Start analysis")),
        transition_action(ServiceInvoice.Status.APPROVED, _("Approve")),
        transition_action(ServiceInvoice.Status.REFUSED, _("Refuse (give the reason)")),
        transition_action(ServiceInvoice.Status.PAID, _("Mark as paid")),
        transition_action(ServiceInvoice.Status.CANCELLED, _("Cancel")),
    ]

    @admin.display(description=_("reseller"), ordering="request__reseller__name")
    def reseller(self, obj):
        return obj.request.reseller

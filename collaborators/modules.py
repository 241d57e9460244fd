"""The portal's modules, defined once. Admin means every module (docs/architecture.md#access)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Module(models.TextChoices):
    ORDERS = "orders", _("Order status")
    COLLABORATORS = "collaborators", _("Collaborators")
    COMMISSIONS_TRACK = "commissions_track", _("Track commissions")
    COMMISSIONS_REQUEST = "commissions_request", _("Request commissions")
    NF_REPORT = "nf_report", _("Invoice report")


MODULE_DESCRIPTIONS = {
    Module.ORDERS: _("List of orders, where you follow their status and see their details."),
    Module.COLLABORATORS: _(
        "List of the users with access to the Partner Portal, and editing of their permissions."
    ),
    Module.COMMISSIONS_TRACK: _("Follow your commissions and download reports."),
    Module.COMMISSIONS_REQUEST: _("Ask for payment of released commissions."),
    Module.NF_REPORT: _("Follow the service invoices sent for payment."),
}

import django_tables2 as tables
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import Delivery, Invoice, Order
from portal.tables import PortalTable
from portal.xlsx import Column


class OrderTable(PortalTable):
    created_at = tables.DateColumn(verbose_name=_("Date"), format="d/m/Y")
    number = tables.Column(verbose_name=_("Order number"), linkify=True)
    customer_number = tables.Column(
        verbose_name=_("Customer number"), accessor="customer__code", default="—"
    )
    customer = tables.Column(
        verbose_name=_("Customer"), accessor="customer__name", default=_("Customer not found")
    )
    status = tables.Column(verbose_name=pgettext_lazy("column", "Order status"))
    invoice = tables.Column(
        verbose_name=_("Invoice"), accessor="pk", orderable=False, empty_values=()
    )
    carrier = tables.Column(
        verbose_name=_("Carrier"), accessor="delivery__carrier__name", default="—"
    )
    delivery_status = tables.Column(
        verbose_name=_("Delivery status"), accessor="delivery__status", default="—"
    )

    export_columns = (
        Column(_("Date"), "created_at", "datetime"),
        Column(_("Order number"), "number"),
        Column(_("Customer number"), "customer__code"),
        Column(_("Customer"), "customer__name"),
        Column(_("Customer CNPJ"), "customer__cnpj"),
        Column(
            pgettext_lazy("column", "Order status"), "status", "choice", dict(Order.Status.choices)
        ),
        Column(_("Invoice"), "first_invoice_number"),
        Column(_("Invoice date"), "first_invoice_date", "date"),
        Column(_("Carrier"), "delivery__carrier__name"),
        Column(_("Delivery status"), "delivery__status", "choice", dict(Delivery.Status.choices)),
        Column(_("Expected delivery"), "delivery__expected_date", "date"),
        Column(_("Total"), "total", "money"),
    )

    class Meta(PortalTable.Meta):
        model = Order
        fields = ()
        order_by = ("-created_at",)
        empty_text = _("No order matches these filters.")

    @classmethod
    def for_list(cls, queryset):
        return queryset.select_related("customer", "delivery__carrier").prefetch_related("invoices")

    @classmethod
    def for_export(cls, queryset):
        first = Invoice.objects.filter(order=OuterRef("pk")).order_by("issued_at", "pk")
        return queryset.annotate(
            first_invoice_number=Subquery(first.values("number")[:1]),
            first_invoice_date=Subquery(first.values("issued_at")[:1]),
        )

    def render_status(self, record):
        return record.get_status_display()

    def render_invoice(self, record):
        invoices = list(record.invoices.all())
        if not invoices:
            return "—"
        return format_html_join(
            "",
            '<div class="text-nowrap">{}: {}<br>{}: {}{}</div>',
            (
                (
                    _("No."),
                    invoice.number,
                    _("Date"),
                    date_format(invoice.issued_at, "d/m/Y"),
                    format_html(
                        ' <a href="{}" class="ms-1">{}</a>',
                        reverse("orders:invoice_file", args=[invoice.pk, "pdf"]),
                        _("Download"),
                    )
                    if invoice.pdf
                    else "",
                )
                for invoice in invoices
            ),
        )

    def render_delivery_status(self, record):
        delivery = record.delivery
        if delivery.expected_date and delivery.status != Delivery.Status.DELIVERED:
            return format_html(
                "{}<br><small>{}: {}</small>",
                delivery.get_status_display(),
                _("Expected delivery"),
                date_format(delivery.expected_date, "d/m/Y"),
            )
        return delivery.get_status_display()

import django_tables2 as tables
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from commissions.models import Commission
from nfreport.models import ServiceInvoice
from portal.cnpj import format_cnpj
from portal.tables import PortalTable
from portal.templatetags.portal import brl
from portal.xlsx import Column


def with_service_invoice(queryset):
    """Annotates the number of the reseller's NF for each commission's request: its latest one,
    if a refused NF was replaced. One subquery in the same SELECT, whatever the row count."""
    latest = ServiceInvoice.objects.filter(request=OuterRef("request")).order_by("-sent_at", "-pk")
    return queryset.annotate(service_invoice_number=Subquery(latest.values("number")[:1]))


class CommissionTable(PortalTable):
    invoice_number = tables.Column(
        verbose_name=_("Invoice no."),
        accessor="installment__invoice_number",
        linkify=lambda record: record.get_absolute_url(),
    )
    installment = tables.Column(verbose_name=_("Installment"), accessor="installment__number")
    company = tables.Column(verbose_name=_("Company"), accessor="company__code")
    issue_date = tables.DateColumn(
        verbose_name=_("Issued on"), accessor="issue_date", format="d/m/Y"
    )
    due_date = tables.DateColumn(verbose_name=_("Due on"), accessor="due_date", format="d/m/Y")
    customer = tables.Column(verbose_name=_("Customer"), accessor="installment__customer__name")
    net_amount = tables.Column(verbose_name=_("Net commission"))
    payment_date = tables.DateColumn(
        verbose_name=_("Commission payment date"), format="d/m/Y", default="—"
    )
    payment_document = tables.Column(verbose_name=_("Commission payment doc."), default="—")
    service_invoice = tables.Column(
        verbose_name=_("Reseller NF"),
        accessor="service_invoice_number",
        orderable=False,
        default="—",
    )
    status = tables.Column(verbose_name=_("Status"))

    export_columns = (
        Column(_("Account"), "account__code"),
        Column(_("Invoice no."), "installment__invoice_number"),
        Column(_("Installment"), "installment__number", "number"),
        Column(_("Company"), "company__code"),
        Column(_("Issued on"), "issue_date", "date"),
        Column(_("Due on"), "due_date", "date"),
        Column(_("Customer"), "installment__customer__name"),
        Column(_("Customer CNPJ"), "installment__customer__cnpj"),
        Column(_("Installment amount"), "installment__amount", "money"),
        Column(_("Customer paid on"), "installment__paid_date", "date"),
        Column(_("Net commission"), "net_amount", "money"),
        Column(_("Commission payment date"), "payment_date", "date"),
        Column(_("Commission payment doc."), "payment_document"),
        Column(_("Reseller NF"), "service_invoice_number"),
        Column(_("Status"), "status", "choice", dict(Commission.Status.choices)),
    )

    class Meta(PortalTable.Meta):
        # The seed's eleven columns fit beside the menu on a 1366 px screen only when compact.
        attrs = {
            **PortalTable.Meta.attrs,
            "class": f"{PortalTable.Meta.attrs['class']} table-sm small",
        }
        model = Commission
        fields = ()
        order_by = ("-issue_date",)
        empty_text = _("No commission matches these filters.")

    @classmethod
    def for_list(cls, queryset):
        return with_service_invoice(queryset.select_related("installment__customer", "company"))

    @classmethod
    def for_export(cls, queryset):
        return with_service_invoice(queryset)

    def render_customer(self, record):
        customer = record.installment.customer
        return format_html(
            '{}<br><small class="text-body-secondary text-nowrap">{}</small>',
            customer.name,
            format_cnpj(customer.cnpj),
        )

    def render_net_amount(self, value):
        return format_html('<span class="text-nowrap">{}</span>', brl(value))

    def render_status(self, record):
        return record.get_status_display()

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.filters import account_filter, reseller_filter
from orders.models import Carrier, Customer, Delivery, DeliveryEvent, Invoice, Order, OrderLine
from portal.admin import LifecycleAdmin, PortalModelAdmin, cnpj_display, transition_action

# Orders, their lines, invoices and customers run to millions of rows: search them by exact
# number or code (an index lookup), never by a substring scan, and skip the unfiltered count.


@admin.register(Customer)
class CustomerAdmin(PortalModelAdmin):
    list_display = ("code", "name", cnpj_display, "is_government")
    list_filter = ("is_government",)
    search_fields = ("code__exact", "cnpj__exact", "name")
    show_full_result_count = False


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ("line_number", "sku", "description", "quantity", "unit_price", "line_total")
    readonly_fields = ("line_total",)
    extra = 0

    @admin.display(description=_("total"))
    def line_total(self, obj):
        return obj.total if obj.pk else "—"


class InvoiceInline(admin.TabularInline):
    model = Invoice
    fields = ("number", "series", "issued_at", "access_key", "pdf", "xml")
    extra = 0
    show_change_link = True


@admin.register(Order)
class OrderAdmin(LifecycleAdmin):
    list_display = ("number", "created_at", "account", "customer", "status", "total")
    list_filter = (
        "status",
        reseller_filter("account__reseller"),
        account_filter("account"),
        "created_at",
    )
    search_fields = (
        "number__exact",
        "account__code__exact",
        "customer__code__exact",
        "customer__cnpj__exact",
    )
    list_select_related = ("account", "customer")
    autocomplete_fields = ("account", "customer")
    readonly_fields = ("delivery_link",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [OrderLineInline, InvoiceInline]
    actions = [
        transition_action(Order.Status.CREDIT_ANALYSIS, _("Send to credit analysis")),
        transition_action(Order.Status.BACKLOG, _("Move to backlog")),
        transition_action(Order.Status.INVOICED, _("Mark as invoiced")),
        transition_action(Order.Status.COMPLETED, _("Mark as completed")),
        transition_action(Order.Status.CANCELLED, _("Cancel")),
    ]

    @admin.display(description=_("delivery"))
    def delivery_link(self, obj):
        if obj.pk is None:
            return "—"
        delivery = Delivery.objects.filter(order=obj).first()
        if delivery is None:
            url = reverse("admin:orders_delivery_add") + f"?order={obj.pk}"
            return format_html('<a href="{}">{}</a>', url, _("Add a delivery"))
        url = reverse("admin:orders_delivery_change", args=[delivery.pk])
        return format_html('<a href="{}">{}</a>', url, delivery.get_status_display())


@admin.register(OrderLine)
class OrderLineAdmin(PortalModelAdmin):
    list_display = ("order", "line_number", "sku", "description", "quantity", "unit_price")
    list_filter = ("order__status", reseller_filter("order__account__reseller"))
    search_fields = ("order__number__exact", "sku__exact")
    list_select_related = ("order",)
    autocomplete_fields = ("order",)
    show_full_result_count = False


@admin.register(Invoice)
class InvoiceAdmin(PortalModelAdmin):
    list_display = ("number", "series", "issued_at", "order", "access_key")
    list_filter = ("issued_at", reseller_filter("order__account__reseller"))
    search_fields = ("number__exact", "access_key__exact", "order__number__exact")
    list_select_related = ("order",)
    autocomplete_fields = ("order",)
    date_hierarchy = "issued_at"
    # The model's order (issue date) has no index of its own; the newest rows come first anyway.
    ordering = ("-pk",)
    show_full_result_count = False


@admin.register(Carrier)
class CarrierAdmin(PortalModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    fields = ("occurred_at", "description", "location")
    extra = 0


@admin.register(Delivery)
class DeliveryAdmin(LifecycleAdmin):
    list_display = ("order", "status", "carrier", "expected_date", "tracking_code")
    list_filter = (
        "status",
        "carrier",
        "expected_date",
        reseller_filter("order__account__reseller"),
    )
    search_fields = ("order__number__exact", "tracking_code__exact")
    list_select_related = ("order", "carrier")
    autocomplete_fields = ("order",)
    date_hierarchy = "expected_date"
    ordering = ("-pk",)
    show_full_result_count = False
    inlines = [DeliveryEventInline]
    actions = [
        transition_action(Delivery.Status.IN_TRANSIT, _("Mark as in transit")),
        transition_action(Delivery.Status.DELIVERED, _("Mark as delivered")),
        transition_action(Delivery.Status.RETURNED, _("Mark as returned")),
    ]


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(PortalModelAdmin):
    list_display = ("occurred_at", "delivery", "description", "location")
    list_filter = ("occurred_at", reseller_filter("delivery__order__account__reseller"))
    search_fields = ("delivery__order__number__exact", "description")
    list_select_related = ("delivery",)
    raw_id_fields = ("delivery",)
    date_hierarchy = "occurred_at"
    ordering = ("-pk",)
    show_full_result_count = False

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.filters import AccountFilter
from orders.models import Delivery, Invoice, Order
from portal.filters import DateBoundFilter, PortalFilterSet, digits_only


class OrderFilterSet(PortalFilterSet):
    account = AccountFilter()
    status = django_filters.ChoiceFilter(
        label=pgettext_lazy("column", "Order status"),
        choices=Order.Status.choices,
        empty_label=_("Select"),
    )
    delivery_status = django_filters.ChoiceFilter(
        label=_("Delivery status"),
        field_name="delivery_status",
        choices=Delivery.Status.choices,
        empty_label=_("Select"),
    )
    invoice = django_filters.CharFilter(
        label=_("Invoice"), method="filter_invoice", max_length=20, validators=[digits_only]
    )
    # On PostgreSQL a trigram index serves this "contains" (orders migration 0005).
    customer = django_filters.CharFilter(
        label=_("Customer"), field_name="customer__name", lookup_expr="icontains", max_length=100
    )
    number = django_filters.CharFilter(
        label=_("Order number"), field_name="number", max_length=20, validators=[digits_only]
    )
    customer_number = django_filters.CharFilter(
        label=_("Customer number"), field_name="customer__code", max_length=20
    )
    created_from = DateBoundFilter(label=_("Created from"), field_name="created_at", bound="from")
    created_to = DateBoundFilter(label=_("Created until"), field_name="created_at", bound="to")

    class Meta:
        model = Order
        fields = []

    def filter_invoice(self, queryset, name, value):
        return queryset.filter(Exists(Invoice.objects.filter(order=OuterRef("pk"), number=value)))

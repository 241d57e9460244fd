import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import Customer, Delivery, Invoice, Order
from portal.filters import AccountFilter, DateBoundFilter, PortalFilterSet, digits_only

# The most customer ids the name search hands to the orders query as a list (filter_customer).
CUSTOMER_IDS_LIMIT = 5000


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
    customer = django_filters.CharFilter(
        label=_("Customer"), method="filter_customer", max_length=100
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

    def filter_customer(self, queryset, name, value):
        """Orders of the customers whose name contains `value`.

        The customers are looked up first and the orders filtered by their ids: joined in one
        query, PostgreSQL misjudges how many orders match a name and sorts them all
        (bench/README.md). A search that matches very many customers keeps the join, which
        finds a page of recent orders quickly precisely because so many match.
        """
        matching = Customer.objects.filter(name__icontains=value).order_by()
        ids = list(matching.values_list("pk", flat=True)[: CUSTOMER_IDS_LIMIT + 1])
        if len(ids) > CUSTOMER_IDS_LIMIT:
            return queryset.filter(customer__name__icontains=value)
        return queryset.filter(customer_id__in=ids)

    def filter_invoice(self, queryset, name, value):
        return queryset.filter(Exists(Invoice.objects.filter(order=OuterRef("pk"), number=value)))

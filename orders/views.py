from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from collaborators.access import ModuleRequiredMixin, module_required
from collaborators.modules import Module
from orders.filters import OrderFilterSet
from orders.models import Invoice, Order
from orders.tables import OrderTable
from portal.lists import ListPageView
from portal.scoping import get_visible_or_404


class OrderListView(ModuleRequiredMixin, ListPageView):
    model = Order
    module = Module.ORDERS
    filterset_class = OrderFilterSet
    table_class = OrderTable
    title = _("Order status")
    filter_title = _("Filter orders")
    search_label = _("Search orders")
    row_hint = _("Click an order to see its details.")
    export_filename = "pedidos"


@module_required(Module.ORDERS)
def order_detail(request, number):
    order = get_visible_or_404(
        Order.objects.select_related("account", "customer", "delivery__carrier"),
        request,
        number=number,
    )
    delivery = getattr(order, "delivery", None)
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "lines": order.lines.all(),
            "invoices": order.invoices.all(),
            "delivery": delivery,
            "events": delivery.events.all() if delivery else [],
            "history": order.labelled_status_history(),
        },
    )


@module_required(Module.ORDERS)
def invoice_file(request, pk, kind):
    if kind not in ("pdf", "xml"):
        raise Http404
    invoice = get_visible_or_404(Invoice.objects.all(), request, pk=pk)
    file = getattr(invoice, kind)
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = f"NF-{invoice.number}-{invoice.series}.{kind}"
    return FileResponse(handle, as_attachment=True, filename=name)

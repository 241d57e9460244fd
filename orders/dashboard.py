"""The orders' part of the home page: three tiles that open the orders list, and the orders per
month by status. HOME_TILES and HOME_CHARTS in the settings name them."""

import datetime as dt
from dataclasses import replace

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from collaborators.access import can_open
from collaborators.modules import Module
from orders.models import Delivery, Order, OrderMonth
from portal.dashboard import Series, TileSource, build_chart, last_months, month_counts

# "New" orders: placed ones created in this many days, today included.
NEW_ORDER_DAYS = 30

# Okabe–Ito colours: told apart with every common colour-vision deficiency.
STATUS_COLOURS = {
    Order.Status.PLACED: "#56b4e9",
    Order.Status.CREDIT_ANALYSIS: "#e69f00",
    Order.Status.BACKLOG: "#cc79a7",
    Order.Status.INVOICED: "#0072b2",
    Order.Status.COMPLETED: "#009e73",
    Order.Status.CANCELLED: "#d55e00",
}
ORDER_SERIES = tuple(Series(s, s.label, STATUS_COLOURS[s]) for s in Order.Status)


def order_tiles(request):
    since = timezone.localdate() - dt.timedelta(days=NEW_ORDER_DAYS - 1)
    yield (
        _("New orders placed"),
        {"status": Order.Status.PLACED, "created_from": since.isoformat()},
    )
    yield _("Orders in credit analysis"), {"status": Order.Status.CREDIT_ANALYSIS}
    yield _("Orders in transit"), {"delivery_status": Delivery.Status.IN_TRANSIT}


TILES = (TileSource("orders:list", order_tiles),)


def order_chart(request):
    """Orders per month of the last twelve months, by status; None without the orders module."""
    if not can_open(request.user, Module.ORDERS):
        return None
    months = last_months(timezone.localdate())
    chart = build_chart(month_counts(OrderMonth, request.user, months), months, ORDER_SERIES)
    return replace(
        chart,
        key="order",
        heading=gettext("Orders per month"),
        subtitle=ngettext(
            "The last month, by order status.",
            "The last %(months)s months, by order status.",
            len(months),
        )
        % {"months": len(months)},
        title=gettext("Orders per month, by order status"),
        description=gettext(
            "Stacked bars, one per month from %(first)s %(first_year)s to %(last)s "
            "%(last_year)s: %(total)s orders in all. The table after the chart lists the numbers."
        )
        % {**chart.span(), "total": intcomma(chart.total)},
    )

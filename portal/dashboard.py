"""The home dashboard (DESIGN §2.2): tiles of consolidated counts and the orders-per-month chart.

A tile is a filtered list page in miniature: a label, the list view, and the GET parameters of
its filter. Its count is `view.count_for(request, params)`, the list's own scoping and filter
code, and its link is the list's URL with the same parameters, so the number on the tile is the
number of rows the link shows.

Tiles come from TILE_SOURCES, in the order shown. A source names one list view and a function of
the request that yields (label, params) pairs; the function runs only for users who may open the
view's module, so a source may compute its tiles from the database, for instance one tile per
company:

    def released_commissions(request):
        for company in Company.objects.order_by("code"):
            yield (format_lazy(_("Released commissions {}"), company.code),
                   {"status": Commission.Status.RELEASED, "company": company.code})

    TILE_SOURCES = (TileSource(CommissionListView, released_commissions), ...)
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Sum
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from collaborators.access import can_open
from collaborators.modules import Module
from orders.models import Delivery, Order, OrderMonth
from orders.views import OrderListView

# "New" orders: placed ones created in this many days, today included.
NEW_ORDER_DAYS = 30


@dataclass(frozen=True)
class Tile:
    label: str
    view: type
    params: Mapping[str, str]

    @property
    def module(self):
        return self.view.module

    @property
    def url(self):
        return f"{list_url(self.view)}?{urlencode(self.params)}"

    def count(self, request):
        return self.view.count_for(request, dict(self.params))


@dataclass(frozen=True)
class TileSource:
    view: type
    tiles: Callable[..., Iterable[tuple[str, Mapping[str, str]]]]

    @property
    def module(self):
        return self.view.module

    def tiles_for(self, request):
        if not can_open(request.user, self.module):
            return []
        return [Tile(label, self.view, params) for label, params in self.tiles(request)]


@dataclass(frozen=True)
class ShownTile:
    label: str
    url: str
    count: int


def order_tiles(request):
    since = timezone.localdate() - dt.timedelta(days=NEW_ORDER_DAYS - 1)
    yield (
        _("New orders placed"),
        {"status": Order.Status.PLACED, "created_from": since.isoformat()},
    )
    yield _("Orders in credit analysis"), {"status": Order.Status.CREDIT_ANALYSIS}
    yield _("Orders in transit"), {"delivery_status": Delivery.Status.IN_TRANSIT}


TILE_SOURCES = (TileSource(OrderListView, order_tiles),)


def tiles_for(request, sources=None):
    """The tiles this user may open, counted, in the order of the sources."""
    return [
        ShownTile(tile.label, tile.url, tile.count(request))
        for source in (TILE_SOURCES if sources is None else sources)
        for tile in source.tiles_for(request)
    ]


@functools.cache
def _url_names_by_view():
    names = {}

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                view_class = getattr(pattern.callback, "view_class", None)
                if view_class is not None:
                    names.setdefault(view_class, f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


def list_url(view):
    """The URL a list view class is routed at, so a tile names its list only once."""
    return reverse(_url_names_by_view()[view])


# The chart ---------------------------------------------------------------------------------------

CHART_MONTHS = 12
# Okabe–Ito colours: told apart with every common colour-vision deficiency.
STATUS_COLOURS = {
    Order.Status.PLACED: "#56b4e9",
    Order.Status.CREDIT_ANALYSIS: "#e69f00",
    Order.Status.BACKLOG: "#cc79a7",
    Order.Status.INVOICED: "#0072b2",
    Order.Status.COMPLETED: "#009e73",
    Order.Status.CANCELLED: "#d55e00",
}
# The bars are drawn in SVG units: one slot of SLOT units per month, PLOT_HEIGHT units high. The
# SVG stretches to its box (preserveAspectRatio="none"); its labels are HTML, so their text keeps
# its size at any width and the chart never makes a phone scroll sideways.
SLOT, PLOT_HEIGHT = 100, 400
BAR_SHARE = 0.64  # of each month's slot; the rest is the gap between bars
TICKS = 4  # steps on the scale: gridlines at 0, 1/4, ..., 4/4 of its top


def last_months(today, n=CHART_MONTHS):
    """The first days of the last `n` months, oldest first, the month of `today` last."""
    index = today.year * 12 + today.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - n + 1, index + 1)]


def order_month_counts(user, months):
    """{(month, status): orders}, summed over the user's accounts: one query."""
    rows = (
        OrderMonth.objects.visible_to(user)
        .filter(month__gte=months[0], month__lte=months[-1])
        .values("month", "status")
        .annotate(orders=Sum("count"))
        .order_by()
    )
    return {(row["month"], row["status"]): row["orders"] for row in rows}


def nice_step(value, ticks=TICKS):
    """The smallest step of 1, 2 or 5 × 10^k whose `ticks` steps reach `value`."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude * ticks >= value:
                return factor * magnitude
        magnitude *= 10


@dataclass(frozen=True)
class Segment:
    label: str
    colour: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    month: dt.date
    label: str  # the month's abbreviation, "jan"
    year: str  # "" for the months that show no year (see shows_year)
    counts: tuple  # (status, label, count) for every status, in Order.Status order
    total: int
    x: float
    width: float
    segments: tuple  # the non-empty statuses, bottom up


@dataclass(frozen=True)
class Chart:
    bars: tuple
    legend: tuple  # (label, colour)
    ticks: tuple  # (value, y), from the baseline up
    total: int
    height: int = PLOT_HEIGHT

    @property
    def width(self):
        return SLOT * len(self.bars)

    @property
    def first(self):
        return self.bars[0]

    @property
    def last(self):
        return self.bars[-1]

    @property
    def ticks_top_down(self):
        return self.ticks[::-1]

    def count(self, month, status):
        bar = next(b for b in self.bars if b.month == month)
        return next(n for s, _label, n in bar.counts if s == status)


def shows_year(index, month):
    """The year goes under each January and under the first month, unless that is the December
    just before a January: on a phone the two years would run into each other."""
    return month.month == 1 or (index == 0 and month.month != 12)


def build_chart(counts, months):
    """The stacked bars of `counts` ({(month, status): orders}) with their SVG geometry."""
    statuses = list(Order.Status)
    totals = [sum(counts.get((m, s), 0) for s in statuses) for m in months]
    step = nice_step(max(totals))
    scale = PLOT_HEIGHT / (step * TICKS)
    width = SLOT * BAR_SHARE
    bars = []
    for i, (month, total) in enumerate(zip(months, totals, strict=True)):
        top = PLOT_HEIGHT
        segments = []
        for status in statuses:
            if n := counts.get((month, status), 0):
                top -= n * scale
                segments.append(
                    Segment(
                        status.label, STATUS_COLOURS[status], n, round(top, 2), round(n * scale, 2)
                    )
                )
        bars.append(
            Bar(
                month=month,
                label=date_format(month, "b"),
                year=date_format(month, "Y") if shows_year(i, month) else "",
                counts=tuple((s, s.label, counts.get((month, s), 0)) for s in statuses),
                total=total,
                x=round(i * SLOT + (SLOT - width) / 2, 2),
                width=width,
                segments=tuple(segments),
            )
        )
    return Chart(
        bars=tuple(bars),
        legend=tuple((s.label, STATUS_COLOURS[s]) for s in statuses),
        ticks=tuple((k * step, round(PLOT_HEIGHT - k * step * scale, 2)) for k in range(TICKS + 1)),
        total=sum(totals),
    )


def order_chart(request):
    """Orders per month of the last twelve months, by status; None without the orders module."""
    if not can_open(request.user, Module.ORDERS):
        return None
    months = last_months(timezone.localdate())
    return build_chart(order_month_counts(request.user, months), months)

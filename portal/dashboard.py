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

Each chart is the same SVG of bars (templates/portal/chart.html), stacked (orders by status) or
side by side (commissions released and paid), read from a monthly rollup in one query.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Sum
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from collaborators.access import can_open
from collaborators.modules import Module
from commissions.models import Commission, CommissionMonth, Company
from commissions.views import CommissionListView
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


def commission_tiles(request):
    """The tiles "Comissões liberadas", one per company, and "Faturas vencidas" (overdue_q)."""
    for company in Company.objects.order_by("code"):
        yield (
            gettext("Released commissions %(company)s") % {"company": company.code},
            {"company": company.code, "status": Commission.Status.RELEASED},
        )
    yield _("Overdue invoices"), {"overdue": "true"}


# In the order of DESIGN §2.2: commissions first, then orders.
TILE_SOURCES = (
    TileSource(CommissionListView, commission_tiles),
    TileSource(OrderListView, order_tiles),
)


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


# The charts --------------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class Series:
    """One kind of count in a chart: an order status, or commissions released."""

    key: str
    label: str
    colour: str


ORDER_SERIES = tuple(Series(s, s.label, STATUS_COLOURS[s]) for s in Order.Status)
COMMISSION_SERIES = (
    Series(Commission.Status.RELEASED, pgettext_lazy("chart", "Released"), "#e69f00"),
    Series(Commission.Status.PAID, pgettext_lazy("chart", "Paid"), "#009e73"),
)


def last_months(today, n=CHART_MONTHS):
    """The first days of the last `n` months, oldest first, the month of `today` last."""
    index = today.year * 12 + today.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - n + 1, index + 1)]


def month_counts(rollup, user, months):
    """{(month, status): count} of a monthly rollup, summed over the user's accounts: one query."""
    rows = (
        rollup.objects.visible_to(user)
        .filter(month__gte=months[0], month__lte=months[-1])
        .values("month", "status")
        .annotate(total=Sum("count"))
        .order_by()
    )
    return {(row["month"], row["status"]): row["total"] for row in rows}


def order_month_counts(user, months):
    """{(month, status): orders}, summed over the user's accounts: one query."""
    return month_counts(OrderMonth, user, months)


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
    x: float = 0
    width: float = 0


@dataclass(frozen=True)
class Bar:
    month: dt.date
    label: str  # the month's abbreviation, "jan"
    year: str  # "" for the months that show no year (see shows_year)
    counts: tuple  # (series key, label, count) for every series, in the chart's order
    total: int
    x: float
    width: float
    segments: tuple  # the non-empty series: bottom up when stacked, else left to right


@dataclass(frozen=True)
class Chart:
    bars: tuple
    legend: tuple  # (label, colour)
    ticks: tuple  # (value, y), from the baseline up
    total: int
    height: int = PLOT_HEIGHT
    stacked: bool = True  # False: the series stand side by side, and a month has no total
    # Texts, and `key`, which names the element ids and test ids ("order-chart").
    key: str = "chart"
    heading: str = ""
    subtitle: str = ""
    title: str = ""  # the SVG's title and the data table's caption
    description: str = ""

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

    def series_total(self, status):
        return sum(n for bar in self.bars for s, _label, n in bar.counts if s == status)

    def span(self):
        """The first and last months, for the texts."""
        return {
            "first": self.first.label,
            "first_year": date_format(self.first.month, "Y"),
            "last": self.last.label,
            "last_year": date_format(self.last.month, "Y"),
        }


def shows_year(index, month):
    """The year goes under each January and under the first month, unless that is the December
    just before a January: on a phone the two years would run into each other."""
    return month.month == 1 or (index == 0 and month.month != 12)


def build_chart(counts, months, series=ORDER_SERIES, *, stacked=True):
    """The bars of `counts` ({(month, series key): count}) with their SVG geometry: each month's
    series stacked in one bar, or side by side in narrower bars."""
    keys = [s.key for s in series]
    totals = [sum(counts.get((m, k), 0) for k in keys) for m in months]
    tallest = max(totals) if stacked else max(counts.get((m, k), 0) for m in months for k in keys)
    step = nice_step(tallest)
    scale = PLOT_HEIGHT / (step * TICKS)
    width = SLOT * BAR_SHARE
    bars = []
    for i, (month, total) in enumerate(zip(months, totals, strict=True)):
        x = round(i * SLOT + (SLOT - width) / 2, 2)
        top = PLOT_HEIGHT
        segments = []
        for j, one in enumerate(series):
            if n := counts.get((month, one.key), 0):
                height = n * scale
                if stacked:
                    top -= height
                    y, left, across = top, x, width
                else:
                    across = width / len(series)
                    y, left = PLOT_HEIGHT - height, x + j * across
                segments.append(
                    Segment(
                        one.label,
                        one.colour,
                        n,
                        round(y, 2),
                        round(height, 2),
                        round(left, 2),
                        round(across, 2),
                    )
                )
        bars.append(
            Bar(
                month=month,
                label=date_format(month, "b"),
                year=date_format(month, "Y") if shows_year(i, month) else "",
                counts=tuple((s.key, s.label, counts.get((month, s.key), 0)) for s in series),
                total=total,
                x=x,
                width=width,
                segments=tuple(segments),
            )
        )
    return Chart(
        bars=tuple(bars),
        legend=tuple((s.label, s.colour) for s in series),
        ticks=tuple((k * step, round(PLOT_HEIGHT - k * step * scale, 2)) for k in range(TICKS + 1)),
        total=sum(totals),
        stacked=stacked,
    )


def order_chart(request):
    """Orders per month of the last twelve months, by status; None without the orders module."""
    if not can_open(request.user, Module.ORDERS):
        return None
    months = last_months(timezone.localdate())
    chart = build_chart(order_month_counts(request.user, months), months)
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


def commission_chart(request):
    """Commissions released and paid per month of the last twelve months (CommissionMonth);
    None without the commissions_track module."""
    if not can_open(request.user, Module.COMMISSIONS_TRACK):
        return None
    months = last_months(timezone.localdate())
    counts = month_counts(CommissionMonth, request.user, months)
    chart = build_chart(counts, months, COMMISSION_SERIES, stacked=False)
    return replace(
        chart,
        key="commission",
        heading=gettext("Commissions per month"),
        subtitle=ngettext(
            "The last month: commissions released and paid.",
            "The last %(months)s months: commissions released and paid.",
            len(months),
        )
        % {"months": len(months)},
        title=gettext("Commissions released and paid per month"),
        description=gettext(
            "Pairs of bars, one pair per month from %(first)s %(first_year)s to %(last)s "
            "%(last_year)s: %(released)s commissions released and %(paid)s paid in all. The table "
            "after the chart lists the numbers."
        )
        % {
            **chart.span(),
            "released": intcomma(chart.series_total(Commission.Status.RELEASED)),
            "paid": intcomma(chart.series_total(Commission.Status.PAID)),
        },
    )

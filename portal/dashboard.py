"""The home page's generic parts: tiles of consolidated counts and bar charts.

The apps own what the home page shows: each lists its tile sources and its charts in its
`dashboard` module, and the settings HOME_TILES and HOME_CHARTS name them by dotted path, in the
order the page shows them. Nothing here knows an area app.

A tile is a filtered list page in miniature: a label, the URL name of a list, and the GET
parameters of its filter. Its count is the list view's own `count_for(request, params)`, the
list's scoping and filter code, and its link is the list's URL with the same parameters, so the
number on the tile is the number of rows the link shows. The module a tile needs is its list
view's.

A tile source names one list and a function of the request that yields (label, params) pairs; the
function runs only for users who may open the list's module, so a source may compute its tiles
from the database, for instance one tile per company:

    def released_commissions(request):
        for company in Company.objects.order_by("code"):
            yield (format_lazy(_("Released commissions {}"), company.code),
                   {"status": Commission.Status.RELEASED, "company": company.code})

    TILES = (TileSource("commissions:list", released_commissions), ...)

Whether a user may open a module is the caller's question (`may_open(user, module)`): the home
view asks it of the collaborators' access rules.

A chart is a function of the request that returns a `Chart`, or None for a user who may not see
it. Every chart is the same SVG of bars (templates/portal/chart.html), stacked or side by side,
built by `build_chart` from counts per month, usually read from a monthly rollup in one query.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Sum
from django.urls import resolve, reverse
from django.utils.formats import date_format
from django.utils.module_loading import import_string


@functools.cache
def list_view(url_name):
    """The list view class routed at `url_name`, so a tile names its list only once."""
    return resolve(reverse(url_name)).func.view_class


@dataclass(frozen=True)
class Tile:
    label: str
    url_name: str
    params: Mapping[str, str]

    @property
    def view(self):
        return list_view(self.url_name)

    @property
    def module(self):
        return self.view.module

    @property
    def url(self):
        return f"{reverse(self.url_name)}?{urlencode(self.params)}"

    def count(self, request):
        return self.view.count_for(request, dict(self.params))


@dataclass(frozen=True)
class TileSource:
    url_name: str
    tiles: Callable[..., Iterable[tuple[str, Mapping[str, str]]]]

    @property
    def module(self):
        return list_view(self.url_name).module

    def tiles_for(self, request, *, may_open):
        if not may_open(request.user, self.module):
            return []
        return [Tile(label, self.url_name, params) for label, params in self.tiles(request)]


@dataclass(frozen=True)
class ShownTile:
    label: str
    url: str
    count: int


def tiles_for(request, sources, *, may_open):
    """The tiles this user may open, counted, in the order of the sources."""
    return [
        ShownTile(tile.label, tile.url, tile.count(request))
        for source in sources
        for tile in source.tiles_for(request, may_open=may_open)
    ]


def home_tiles(request, *, may_open):
    """The tiles of the sources settings.HOME_TILES names, each path an iterable of sources."""
    sources = [source for path in settings.HOME_TILES for source in import_string(path)]
    return tiles_for(request, sources, may_open=may_open)


def home_charts(request):
    """The charts settings.HOME_CHARTS names that this user may see, in that order."""
    charts = (import_string(path)(request) for path in settings.HOME_CHARTS)
    return [chart for chart in charts if chart is not None]


# Charts ------------------------------------------------------------------------------------------

CHART_MONTHS = 12
# The bars are drawn in SVG units: one slot of SLOT units per month, PLOT_HEIGHT units high. The
# SVG stretches to its box (preserveAspectRatio="none"); its labels are HTML, so their text keeps
# its size at any width and the chart never makes a phone scroll sideways.
SLOT, PLOT_HEIGHT = 100, 400
BAR_SHARE = 0.64  # of each month's slot; the rest is the gap between bars
TICKS = 4  # steps on the scale: gridlines at 0, 1/4, ..., 4/4 of its top


@dataclass(frozen=True)
class Series:
    """One kind of count in a chart, such as an order status: `key` keys its counts by month."""

    key: str
    label: str
    colour: str


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


def build_chart(counts, months, series, *, stacked=True):
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

"""The home page's generic parts: a tile names its list by URL name and counts with that list's
own code, tile sources run only for users the caller's predicate lets open the list's module,
the settings decide which tiles and charts the page shows and in which order, and the chart's
geometry. The orders' and the commissions' own tiles and charts are tested in their apps."""

import datetime as dt
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from collaborators.access import can_open
from collaborators.modules import Module
from orders.models import Order
from orders.views import OrderListView
from portal import dashboard
from tests.factories import OrderFactory, ResellerAccountFactory
from tests.portal.dashboard_helpers import params, rows_behind

HOME = reverse("home")
ORDERS = reverse("orders:list")
COMMISSIONS = reverse("commissions:list")
COLLABORATORS = reverse("collaborators:list")
SERIES = (dashboard.Series("a", "A", "#56b4e9"), dashboard.Series("b", "B", "#009e73"))


def request_as(rf, collaborator):
    request = rf.get(HOME)
    request.user = collaborator.user
    request.collaborator = collaborator
    return request


@pytest.fixture
def rf():
    return RequestFactory()


# Tiles --------------------------------------------------------------------------------------------


def test_a_tile_names_its_list_by_url_name():
    tile = dashboard.Tile("Backlog", "orders:list", {"status": Order.Status.BACKLOG})

    assert dashboard.list_view("orders:list") is OrderListView
    assert tile.view is OrderListView
    assert tile.module == OrderListView.module == Module.ORDERS
    assert tile.url == f"{ORDERS}?status=backlog"


def test_a_tile_counts_with_its_lists_own_code(rf, alice, account_a, account_b):
    for account in (account_a, account_a, account_b):
        OrderFactory(account=account, status=Order.Status.BACKLOG)
    OrderFactory(account=account_a, status=Order.Status.PLACED)
    tile = dashboard.Tile("Backlog", "orders:list", {"status": Order.Status.BACKLOG})

    assert tile.count(request_as(rf, alice)) == 2  # the list's scoping and filter


def test_a_tile_source_runs_only_for_users_who_may_open_its_list(rf, bob, alice):
    calls = []

    def source(request):
        calls.append(request.user)
        yield "Every order", {}

    sources = [dashboard.TileSource("orders:list", source)]

    assert dashboard.tiles_for(request_as(rf, bob), sources, may_open=can_open) == []
    assert calls == []
    assert len(dashboard.tiles_for(request_as(rf, alice), sources, may_open=can_open)) == 1


def test_the_caller_decides_who_may_open_a_list(rf, alice):
    asked = []

    def may_open(user, module):
        asked.append((user, module))
        return False

    sources = [dashboard.TileSource("orders:list", lambda request: [("Every order", {})])]

    assert dashboard.tiles_for(request_as(rf, alice), sources, may_open=may_open) == []
    assert asked == [(alice.user, Module.ORDERS)]  # the list view's module


def test_a_tile_source_can_yield_one_tile_per_row(rf, client_for, alice, reseller_a, account_a):
    """Params computed from rows, as the commissions do with one tile per company."""
    branch = ResellerAccountFactory(reseller=reseller_a)
    for account, n in ((account_a, 3), (branch, 2)):
        for _ in range(n):
            OrderFactory(account=account, status=Order.Status.BACKLOG)

    def per_account(request):
        for account in alice.reseller.accounts.order_by("pk"):
            yield account.code, {"account": str(account.pk), "status": Order.Status.BACKLOG}

    sources = [dashboard.TileSource("orders:list", per_account)]
    tiles = dashboard.tiles_for(request_as(rf, alice), sources, may_open=can_open)

    assert [(t.label, t.count) for t in tiles] == [(account_a.code, 3), (branch.code, 2)]
    client = client_for(alice)
    assert [rows_behind(client, t.url) for t in tiles] == [3, 2]


# What the settings register -----------------------------------------------------------------------


def admins(request):
    yield "Administrators", {"access": "admin"}


EXTRA_TILES = (dashboard.TileSource("collaborators:list", admins),)


def extra_chart(request):
    """A chart only collaborators with the Colaboradores module see."""
    if not can_open(request.user, Module.COLLABORATORS):
        return None
    months = dashboard.last_months(timezone.localdate())
    chart = dashboard.build_chart({(months[-1], "a"): 3}, months, SERIES)
    return replace(chart, key="extra", heading="Extra", title="Extra per month")


@pytest.fixture
def extras(settings):
    settings.HOME_TILES = [*settings.HOME_TILES, "tests.portal.test_dashboard.EXTRA_TILES"]
    settings.HOME_CHARTS = [*settings.HOME_CHARTS, "tests.portal.test_dashboard.extra_chart"]


def test_a_tile_source_and_a_chart_in_the_settings_show_on_the_home_page(client_for, alice, extras):
    client = client_for(alice)

    response = client.get(HOME)

    tile = response.context["tiles"][-1]
    assert (tile.label, params(tile.url)) == ("Administrators", {"access": "admin"})
    assert urlsplit(tile.url).path == COLLABORATORS
    assert tile.count == 1 == rows_behind(client, tile.url)
    assert f'href="{tile.url}"' in response.text
    assert [chart.key for chart in response.context["charts"]] == ["order", "commission", "extra"]
    section = response.text[response.text.index('data-testid="extra-chart"') :]
    assert '<title id="extra-chart-title">Extra per month</title>' in section
    assert 'data-testid="extra-chart-data"' in section


def test_tiles_and_charts_in_the_settings_follow_the_users_modules(client_for, olga, extras):
    response = client_for(olga).get(HOME)

    assert [urlsplit(t.url).path for t in response.context["tiles"]] == [ORDERS] * 3
    assert [chart.key for chart in response.context["charts"]] == ["order"]
    assert 'data-testid="extra-chart"' not in response.text


def test_the_home_page_shows_tiles_and_charts_in_the_order_of_the_settings(
    client_for, alice, settings
):
    client = client_for(alice)
    response = client.get(HOME)
    paths = [urlsplit(t.url).path for t in response.context["tiles"]]
    assert paths.index(COMMISSIONS) < paths.index(ORDERS)
    text = response.text
    assert text.index('data-testid="order-chart"') < text.index('data-testid="commission-chart"')

    settings.HOME_TILES = settings.HOME_TILES[::-1]
    settings.HOME_CHARTS = settings.HOME_CHARTS[::-1]
    response = client.get(HOME)

    paths = [urlsplit(t.url).path for t in response.context["tiles"]]
    assert paths.index(ORDERS) < paths.index(COMMISSIONS)
    text = response.text
    assert text.index('data-testid="commission-chart"') < text.index('data-testid="order-chart"')


# Chart --------------------------------------------------------------------------------------------


def test_last_months_crosses_the_year():
    months = dashboard.last_months(dt.date(2026, 2, 17))

    assert months[0] == dt.date(2025, 3, 1)
    assert months[10:] == [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    assert len(set(months)) == 12


@pytest.mark.parametrize(
    ("first", "years"),
    [
        (dt.date(2025, 12, 1), {1: "2026"}),  # December's year would run into January's
        (dt.date(2025, 11, 1), {0: "2025", 2: "2026"}),
        (dt.date(2026, 1, 1), {0: "2026"}),
    ],
)
def test_the_year_shows_under_january_and_the_first_month(first, years):
    months = dashboard.last_months(first + dt.timedelta(days=340))
    assert months[0] == first

    chart = dashboard.build_chart({}, months, SERIES)

    assert {i: bar.year for i, bar in enumerate(chart.bars) if bar.year} == years


def test_bars_stack_their_series_to_scale():
    months = dashboard.last_months(dt.date(2026, 5, 2))
    counts = {(months[0], "a"): 30, (months[0], "b"): 10, (months[1], "a"): 20}

    chart = dashboard.build_chart(counts, months, SERIES)

    assert [value for value, _ in chart.ticks] == [0, 10, 20, 30, 40]
    first, second = chart.bars[0], chart.bars[1]
    bottom, top = first.segments
    assert (bottom.count, top.count) == (30, 10)
    assert bottom.y + bottom.height == pytest.approx(chart.height)
    assert top.y + top.height == pytest.approx(bottom.y)
    assert top.y == pytest.approx(chart.ticks[-1][1]) == 0  # 40, the top of the scale
    assert second.segments[0].height == pytest.approx(bottom.height * 2 / 3)
    assert all(bar.segments == () for bar in chart.bars[2:])
    assert second.x > first.x + first.width


@pytest.mark.parametrize(
    ("most", "step"), [(0, 1), (3, 1), (4, 1), (5, 2), (9, 5), (40, 10), (41, 20), (1234, 500)]
)
def test_the_scale_steps_are_round_numbers(most, step):
    assert dashboard.nice_step(most) == step

"""The orders' tiles and chart on the home page: every tile counts exactly the rows its link shows,
tiles and chart follow the user's modules and reseller, the chart's numbers are the orders per
month and status, and the page runs the same number of queries whatever the number of orders."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from collaborators.modules import Module
from orders import dashboard
from orders.models import Delivery, Order, OrderMonth
from orders.views import OrderListView
from portal.dashboard import build_chart, last_months, list_view, shows_year
from tests.factories import (
    CollaboratorFactory,
    DeliveryFactory,
    OrderFactory,
    ResellerAccountFactory,
    UserFactory,
)
from tests.portal.dashboard_helpers import params, rows_behind

S = Order.Status
D = Delivery.Status
HOME = reverse("home")
LIST = reverse("orders:list")


def days_ago(days, hour=12):
    moment = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=days), dt.time(hour))
    return timezone.make_aware(moment)


def mid_month(month):
    return timezone.make_aware(dt.datetime(month.year, month.month, 15, 12))


def order(account, status=S.PLACED, created_at=None, delivery=None):
    placed = OrderFactory(account=account, status=status, created_at=created_at or days_ago(1))
    if delivery:
        DeliveryFactory(order=placed, status=delivery)
    return placed


def refresh(*accounts):
    OrderMonth.objects.refresh(a.pk for a in accounts)


def order_chart(response):
    """The orders chart on the home page, or None."""
    return next((c for c in response.context["charts"] if c.key == "order"), None)


def order_tiles(response):
    """{status or delivery status filtered on: tile}, for the tiles that open the orders list."""
    tiles = [t for t in response.context["tiles"] if urlsplit(t.url).path == LIST]
    return {params(t.url).get("status") or params(t.url)["delivery_status"]: t for t in tiles}


@pytest.fixture
def orders_a(account_a):
    """Reseller A's orders: each tile's filter gives a different count, and so does each
    filter a tile could be confused with (any placed order; a status instead of a delivery)."""
    for _ in range(3):
        order(account_a, S.PLACED, days_ago(2))
    order(account_a, S.PLACED, days_ago(dashboard.NEW_ORDER_DAYS - 1, hour=0))
    for days in (dashboard.NEW_ORDER_DAYS, 45, 200):  # placed, but not new
        order(account_a, S.PLACED, days_ago(days, hour=23))
    for _ in range(2):
        order(account_a, S.CREDIT_ANALYSIS, days_ago(60))
    for status in (S.INVOICED, S.INVOICED, S.COMPLETED, S.BACKLOG, S.INVOICED, S.INVOICED):
        order(account_a, status, days_ago(10), delivery=D.IN_TRANSIT)
    order(account_a, S.COMPLETED, days_ago(10), delivery=D.DELIVERED)
    order(account_a, S.BACKLOG, days_ago(10), delivery=D.PROCESSING)
    refresh(account_a)


@pytest.fixture
def orders_b(account_b):
    """Reseller B's orders, in every state a tile of A counts: never counted for A."""
    for status in (S.PLACED, S.CREDIT_ANALYSIS, S.INVOICED):
        for _ in range(5):
            order(account_b, status, days_ago(3), delivery=D.IN_TRANSIT)
    refresh(account_b)


EXPECTED_A = {S.PLACED: 4, S.CREDIT_ANALYSIS: 2, D.IN_TRANSIT: 6}


# Tiles --------------------------------------------------------------------------------------------


def test_each_tile_counts_the_rows_its_link_shows(client_for, alice, orders_a, orders_b):
    client = client_for(alice)
    tiles = order_tiles(client.get(HOME))

    assert {key: tile.count for key, tile in tiles.items()} == EXPECTED_A
    for tile in tiles.values():
        assert rows_behind(client, tile.url) == tile.count, tile.label


def test_each_tile_counts_the_rows_its_link_shows_across_pages(client_for, alice, account_a):
    for _ in range(230):
        order(account_a, S.CREDIT_ANALYSIS, days_ago(5))
    client = client_for(alice)

    tile = order_tiles(client.get(HOME))[S.CREDIT_ANALYSIS]

    assert tile.count == 230
    assert rows_behind(client, tile.url) == 230


def test_new_orders_are_placed_orders_of_the_last_30_days(client_for, alice, orders_a):
    tile = order_tiles(client_for(alice).get(HOME))[S.PLACED]

    since = timezone.localdate() - dt.timedelta(days=dashboard.NEW_ORDER_DAYS - 1)
    assert params(tile.url) == {"status": "placed", "created_from": since.isoformat()}


def test_tiles_link_to_the_list_with_their_filters(client_for, alice):
    tiles = order_tiles(client_for(alice).get(HOME))

    assert params(tiles[S.CREDIT_ANALYSIS].url) == {"status": "credit_analysis"}
    assert params(tiles[D.IN_TRANSIT].url) == {"delivery_status": "in_transit"}
    assert all(urlsplit(t.url).path == LIST for t in tiles.values())


def test_the_home_page_shows_each_tile_as_a_link_with_its_count(client_for, alice, orders_a):
    response = client_for(alice).get(HOME)

    for tile in response.context["tiles"]:
        link = f'href="{tile.url.replace("&", "&amp;")}"'
        assert link in response.text
        assert f'portal-tile-count d-block">{tile.count}<' in response.text


def test_tiles_never_count_another_resellers_orders(client_for, alice, charlie, orders_b):
    tiles = order_tiles(client_for(alice).get(HOME))
    assert {key: tile.count for key, tile in tiles.items()} == dict.fromkeys(EXPECTED_A, 0)

    tiles = order_tiles(client_for(charlie).get(HOME))
    assert {key: tile.count for key, tile in tiles.items()} == {
        S.PLACED: 5,
        S.CREDIT_ANALYSIS: 5,
        D.IN_TRANSIT: 15,
    }


def test_a_collaborator_with_the_orders_module_sees_the_order_tiles(client_for, olga, orders_a):
    response = client_for(olga).get(HOME)

    assert response.status_code == 200
    assert {key: tile.count for key, tile in order_tiles(response).items()} == EXPECTED_A
    assert order_chart(response) is not None


def test_a_collaborator_without_modules_sees_the_welcome_page(client_for, bob, orders_a):
    response = client_for(bob).get(HOME)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "portal/welcome.html"
    assert "tiles" not in response.context
    assert 'data-testid="order-chart"' not in response.text


def test_another_module_shows_neither_order_tiles_nor_the_chart(client_for, reseller_a, orders_a):
    tracker = CollaboratorFactory(
        user=UserFactory(email="tina@revenda-a.example", name="Tina Teixeira"),
        reseller=reseller_a,
        modules=[Module.COMMISSIONS_TRACK],
    )

    response = client_for(tracker).get(HOME)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "portal/home.html"
    assert order_tiles(response) == {}
    assert order_chart(response) is None
    assert 'data-testid="order-chart"' not in response.text
    assert f'href="{LIST}?' not in response.text


def test_the_order_tiles_open_the_orders_list():
    assert list_view("orders:list") is OrderListView
    assert [source.module for source in dashboard.TILES] == [Module.ORDERS]


# Chart --------------------------------------------------------------------------------------------


def test_the_chart_shows_the_last_twelve_months_ending_this_month(client_for, alice):
    chart = order_chart(client_for(alice).get(HOME))

    months = [bar.month for bar in chart.bars]
    assert len(months) == 12
    assert months[-1] == timezone.localdate().replace(day=1)
    assert months == last_months(timezone.localdate())
    assert chart.total == 0


@pytest.fixture
def monthly_orders(account_a, account_b):
    """Orders of reseller A in three of the twelve months, one month too old, and B's orders."""
    months = last_months(timezone.localdate())
    branch = ResellerAccountFactory(reseller=account_a.reseller)
    plan = {
        (months[0], S.COMPLETED): 4,
        (months[0], S.CANCELLED): 1,
        (months[6], S.INVOICED): 3,
        (months[11], S.PLACED): 2,
        (months[11], S.CREDIT_ANALYSIS): 1,
    }
    for (month, status), n in plan.items():
        for i in range(n):
            # Two accounts of the same reseller: the chart sums them.
            order(account_a if i % 2 else branch, status, mid_month(month))
    too_old = months[0] - dt.timedelta(days=20)
    order(account_a, S.COMPLETED, mid_month(too_old))
    order(account_b, S.PLACED, mid_month(months[11]))
    order(account_b, S.INVOICED, mid_month(months[6]))
    refresh(account_a, branch, account_b)
    return months, plan


def test_the_chart_counts_orders_per_month_and_status(client_for, alice, monthly_orders):
    months, plan = monthly_orders

    chart = order_chart(client_for(alice).get(HOME))

    for month in months:
        for status in S:
            assert chart.count(month, status) == plan.get((month, status), 0), (month, status)
    assert [bar.total for bar in chart.bars] == [5] + [0] * 5 + [3] + [0] * 4 + [3]
    assert chart.total == 11


def test_the_charts_data_table_lists_the_numbers(client_for, alice, monthly_orders):
    months, plan = monthly_orders

    text = client_for(alice).get(HOME).text

    table = text[text.index('data-testid="order-chart-data"') :]
    for month in months:
        row = table[table.index(f'data-month="{month:%Y-%m}"') :].split("</tr>")[0]
        for status in S:
            cell = f'<td data-status="{status}">{plan.get((month, status), 0)}</td>'
            assert cell in row, (month, status)


def test_the_chart_is_one_accessible_svg_that_fits_any_width(client_for, alice, monthly_orders):
    page = client_for(alice).get(HOME).text
    # The orders chart; an admin also sees the commissions chart, in its own section.
    text = page[page.index('data-testid="order-chart"') :].split("</section>")[0]

    assert text.count('role="img"') == 1
    start = text.index('<svg class="portal-chart-plot"')
    svg = text[start : text.index("</svg>", start)]
    assert 'role="img"' in svg and 'width="100%"' in svg and 'viewBox="0 0 1200 400"' in svg
    assert 'preserveAspectRatio="none"' in svg  # stretches to its box: no sideways scrolling
    assert 'aria-labelledby="order-chart-title order-chart-desc"' in svg
    assert '<title id="order-chart-title">' in svg and '<desc id="order-chart-desc">' in svg
    # Geometry is never localized: "12,5" would break the drawing in pt-BR.
    drawing = svg[svg.index("</desc>") :]
    assert "," not in drawing.replace("</title>", "<title>").split("<title>")[0]
    assert drawing.count("<rect ") == 5  # one per month × status with orders


def test_the_chart_labels_months_in_portuguese(client_for, alice, monthly_orders):
    months, _ = monthly_orders
    chart = order_chart(client_for(alice).get(HOME))

    # Django's own pt-BR month names, not the portal's catalogue.
    labels = ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez")
    assert [bar.label for bar in chart.bars] == [labels[m.month - 1] for m in months]
    assert [bar.year for bar in chart.bars if bar.year] == [
        str(m.year) for i, m in enumerate(months) if shows_year(i, m)
    ]


def test_a_transition_moves_the_order_between_statuses_in_the_chart(client_for, alice, account_a):
    placed = order(account_a, S.PLACED, days_ago(0))
    order(account_a, S.PLACED, days_ago(0))
    refresh(account_a)
    this_month = timezone.localdate().replace(day=1)
    client = client_for(alice)
    chart = order_chart(client.get(HOME))
    assert (chart.count(this_month, S.PLACED), chart.count(this_month, S.CREDIT_ANALYSIS)) == (2, 0)

    placed.transition_to(S.CREDIT_ANALYSIS)

    chart = order_chart(client.get(HOME))
    assert (chart.count(this_month, S.PLACED), chart.count(this_month, S.CREDIT_ANALYSIS)) == (1, 1)


def test_the_chart_never_counts_another_resellers_orders(client_for, charlie, monthly_orders):
    months, _ = monthly_orders

    chart = order_chart(client_for(charlie).get(HOME))

    assert chart.total == 2
    assert chart.count(months[11], S.PLACED) == 1
    assert chart.count(months[6], S.INVOICED) == 1


def test_the_chart_stacks_every_status_in_its_order_and_colour():
    months = last_months(dt.date(2026, 5, 2))
    counts = {(months[0], S.PLACED): 3, (months[0], S.COMPLETED): 1}

    chart = build_chart(counts, months, dashboard.ORDER_SERIES)

    assert chart.stacked
    assert chart.legend == tuple((s.label, dashboard.STATUS_COLOURS[s]) for s in S)
    placed, completed = chart.bars[0].segments
    assert completed.y + completed.height == pytest.approx(placed.y)


# Queries ------------------------------------------------------------------------------------------


def home_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(queries)


def add_orders(account, n):
    statuses, deliveries = list(S), list(D)
    months = last_months(timezone.localdate())
    for i in range(n):
        order(account, statuses[i % 6], mid_month(months[i % 12]), deliveries[i % 4])
    refresh(account)


def test_the_home_page_runs_the_same_queries_at_any_number_of_orders(client_for, alice, account_a):
    client = client_for(alice)
    add_orders(account_a, 5)
    few = home_queries(client)

    add_orders(account_a, 75)
    many = home_queries(client)

    assert order_chart(client.get(HOME)).total == 80
    assert few == many

"""The commissions' tiles and chart on the home page: "Comissões liberadas" per company and "Faturas
vencidas" each count exactly the rows their link shows; tiles and chart follow the user's module
and reseller; the chart's numbers are the commissions released and paid per month."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from collaborators.modules import Module
from commissions import dashboard
from commissions.models import Commission, CommissionMonth, Company
from commissions.views import CommissionListView
from portal.dashboard import build_chart, last_months, list_view
from portal.models import StatusChange
from tests.commissions.helpers import commission, days_ago, today, tracker
from tests.factories import OrderFactory, ResellerAccountFactory
from tests.portal.dashboard_helpers import params, rows_behind

S = Commission.Status
HOME = reverse("home")
LIST = reverse("commissions:list")


def home_chart(response, key):
    """The chart `key` on the home page, or None."""
    return next((c for c in response.context["charts"] if c.key == key), None)


def commission_tiles(response):
    """{company code, or "overdue": tile}, for the tiles that open the commissions list."""
    tiles = [t for t in response.context["tiles"] if urlsplit(t.url).path == LIST]
    return {params(t.url).get("company") or "overdue": t for t in tiles}


@pytest.fixture
def commissions_a(account_a, reseller_a):
    """Reseller A's commissions: each tile's filter gives a different count, and so does each
    filter a tile could be confused with (another status, another company, due but paid)."""
    branch = ResellerAccountFactory(reseller=reseller_a)
    for account, code, n in ((account_a, "IMB", 3), (branch, "IMB", 1), (account_a, "IMT", 2)):
        for _ in range(n):
            commission(account, code=code, status=S.RELEASED, paid_date=days_ago(3))
    commission(account_a, code="BRLINK", status=S.PAID, paid_date=days_ago(50))
    commission(account_a, code="IMB", status=S.REQUESTED, paid_date=days_ago(20))
    # Overdue: past due, unpaid, still owed (provisioned or on hold); 4 in all.
    for days in (1, 15, 90):
        commission(account_a, code="IMT", due_date=days_ago(days))
    commission(branch, code="BRLINK", status=S.ON_HOLD, due_date=days_ago(5))
    # Not overdue: due today, paid, cancelled.
    commission(account_a, due_date=today())
    commission(account_a, due_date=days_ago(4), paid_date=days_ago(1), status=S.REQUESTED)
    commission(account_a, due_date=days_ago(30), status=S.CANCELLED)


@pytest.fixture
def commissions_b(account_b):
    """Reseller B's commissions, in every state a tile of A counts: never counted for A."""
    for code in ("IMB", "IMT", "BRLINK"):
        for _ in range(2):
            commission(account_b, code=code, status=S.RELEASED, paid_date=days_ago(2))
    commission(account_b, due_date=days_ago(3))


EXPECTED_A = {"BRLINK": 0, "IMB": 4, "IMT": 2, "overdue": 4}


# Tiles --------------------------------------------------------------------------------------------


def test_each_tile_counts_the_rows_its_link_shows(client_for, alice, commissions_a, commissions_b):
    client = client_for(alice)
    tiles = commission_tiles(client.get(HOME))

    assert {key: tile.count for key, tile in tiles.items()} == EXPECTED_A
    for tile in tiles.values():
        assert rows_behind(client, tile.url) == tile.count, tile.label


def test_each_tile_counts_the_rows_its_link_shows_across_pages(client_for, alice, account_a):
    for _ in range(105):
        commission(account_a, code="IMT", status=S.RELEASED, paid_date=days_ago(1))
    for _ in range(103):
        commission(account_a, due_date=days_ago(2))
    client = client_for(alice)

    tiles = commission_tiles(client.get(HOME))

    assert (tiles["IMT"].count, tiles["overdue"].count) == (105, 103)
    assert rows_behind(client, tiles["IMT"].url) == 105
    assert rows_behind(client, tiles["overdue"].url) == 103


def test_there_is_one_released_tile_per_company_then_overdue(client_for, alice):
    tiles = [t for t in client_for(alice).get(HOME).context["tiles"] if LIST in t.url]
    codes = list(Company.objects.order_by("code").values_list("code", flat=True))

    assert [params(t.url) for t in tiles] == [
        *({"company": code, "status": "released"} for code in codes),
        {"overdue": "true"},
    ]
    assert [t.label for t in tiles] == [
        *(gettext("Released commissions %(company)s") % {"company": c} for c in codes),
        gettext("Overdue invoices"),
    ]


def test_a_company_added_by_staff_gets_its_tile(client_for, alice, account_a):
    Company.objects.create(
        code="NOVA", legal_name="Nova Ltda.", cnpj="11222333000181", invoice_prefix="99"
    )
    assert "NOVA" in commission_tiles(client_for(alice).get(HOME))


def test_commission_tiles_come_before_order_tiles(client_for, alice):
    urls = [urlsplit(t.url).path for t in client_for(alice).get(HOME).context["tiles"]]
    assert urls.index(LIST) < urls.index(reverse("orders:list"))


def test_the_overdue_tile_moves_with_the_day(client_for, alice, account_a):
    commission(account_a, due_date=today())
    client = client_for(alice)
    assert commission_tiles(client.get(HOME))["overdue"].count == 0

    commission(account_a, due_date=today() - dt.timedelta(days=1))

    assert commission_tiles(client.get(HOME))["overdue"].count == 1


def test_tiles_never_count_another_resellers_commissions(client_for, alice, charlie, commissions_b):
    tiles = commission_tiles(client_for(alice).get(HOME))
    assert {key: tile.count for key, tile in tiles.items()} == dict.fromkeys(EXPECTED_A, 0)

    tiles = commission_tiles(client_for(charlie).get(HOME))
    assert {key: tile.count for key, tile in tiles.items()} == {
        "BRLINK": 2,
        "IMB": 2,
        "IMT": 2,
        "overdue": 1,
    }


def test_the_home_page_shows_each_commission_tile_as_a_link_with_its_count(
    client_for, alice, commissions_a
):
    response = client_for(alice).get(HOME)

    for tile in commission_tiles(response).values():
        assert f'href="{tile.url.replace("&", "&amp;")}"' in response.text
        assert f'portal-tile-count d-block">{tile.count}<' in response.text


def test_a_tracker_sees_commission_tiles_and_chart_but_no_order_ones(
    client_for, reseller_a, commissions_a
):
    response = client_for(tracker(reseller_a)).get(HOME)

    assert response.status_code == 200
    tiles = commission_tiles(response)
    assert {key: tile.count for key, tile in tiles.items()} == EXPECTED_A
    assert len(response.context["tiles"]) == len(tiles)
    assert home_chart(response, "order") is None
    assert home_chart(response, "commission") is not None
    assert 'data-testid="commission-chart"' in response.text
    assert 'data-testid="order-chart"' not in response.text


def test_the_orders_module_shows_neither_commission_tiles_nor_chart(
    client_for, olga, commissions_a
):
    response = client_for(olga).get(HOME)

    assert commission_tiles(response) == {}
    assert home_chart(response, "commission") is None
    assert 'data-testid="commission-chart"' not in response.text
    assert f'href="{LIST}?' not in response.text


def test_a_collaborator_without_modules_sees_neither(client_for, bob, commissions_a):
    response = client_for(bob).get(HOME)

    assert [t.name for t in response.templates][0] == "portal/welcome.html"
    assert 'data-testid="commission-chart"' not in response.text


def test_the_commission_tiles_open_the_commissions_list():
    assert list_view("commissions:list") is CommissionListView
    assert [source.module for source in dashboard.TILES] == [Module.COMMISSIONS_TRACK]


# Chart --------------------------------------------------------------------------------------------


def mid_month(month):
    return timezone.make_aware(dt.datetime(month.year, month.month, 15, 12))


def moved(obj, frm, to, when):
    change = StatusChange.record(obj, field="status", frm=frm, to=to)
    StatusChange.objects.filter(pk=change.pk).update(changed_at=when)


@pytest.fixture
def monthly_commissions(account_a, account_b):
    """Releases and payments of reseller A in three of the twelve months (history written by a
    bulk load, then refreshed), one month too old, and B's."""
    months = last_months(timezone.localdate())
    branch = ResellerAccountFactory(reseller=account_a.reseller)
    plan = {
        (months[0], S.RELEASED): 4,
        (months[0], S.PAID): 1,
        (months[6], S.PAID): 3,
        (months[11], S.RELEASED): 2,
    }
    for (month, status), n in plan.items():
        for i in range(n):
            # Two accounts of the same reseller: the chart sums them.
            made = commission(account_a if i % 2 else branch, status=status)
            frm = S.PROVISIONED if status == S.RELEASED else S.APPROVED
            moved(made, frm, status, mid_month(month))
    too_old = months[0] - dt.timedelta(days=20)
    moved(commission(account_a), S.PROVISIONED, S.RELEASED, mid_month(too_old))
    again = commission(account_a, status=S.RELEASED)
    moved(again, S.REQUESTED, S.RELEASED, mid_month(months[11]))  # a refused NF: not counted
    moved(commission(account_b), S.PROVISIONED, S.RELEASED, mid_month(months[11]))
    moved(commission(account_b), S.APPROVED, S.PAID, mid_month(months[6]))
    CommissionMonth.objects.refresh([account_a.pk, branch.pk, account_b.pk])
    return months, plan


def test_the_chart_counts_commissions_released_and_paid_per_month(
    client_for, alice, monthly_commissions
):
    months, plan = monthly_commissions

    chart = home_chart(client_for(alice).get(HOME), "commission")

    assert [bar.month for bar in chart.bars] == months
    for month in months:
        for status in (S.RELEASED, S.PAID):
            assert chart.count(month, status) == plan.get((month, status), 0), (month, status)
    assert chart.series_total(S.RELEASED) == 6
    assert chart.series_total(S.PAID) == 4


def test_the_charts_data_table_lists_the_numbers(client_for, alice, monthly_commissions):
    months, plan = monthly_commissions

    text = client_for(alice).get(HOME).text

    table = text[text.index('data-testid="commission-chart-data"') :].split("</table>")[0]
    for month in months:
        row = table[table.index(f'data-month="{month:%Y-%m}"') :].split("</tr>")[0]
        for status in (S.RELEASED, S.PAID):
            cell = f'<td data-status="{status}">{plan.get((month, status), 0)}</td>'
            assert cell in row, (month, status)
        # Released and paid are two different flows: a month has no meaningful total.
        assert 'data-status="total"' not in row


def test_the_chart_is_its_own_accessible_svg(client_for, alice, monthly_commissions):
    text = client_for(alice).get(HOME).text

    section = text[text.index('data-testid="commission-chart"') :].split("</section>")[0]
    assert section.count('role="img"') == 1
    assert 'aria-labelledby="commission-chart-title commission-chart-desc"' in section
    assert gettext("Commissions released and paid per month") in section
    start = section.index("<svg")
    drawing = section[section.index("</desc>", start) : section.index("</svg>")]
    assert drawing.count("<rect ") == 4  # one per month × series with commissions
    assert "," not in drawing.replace("</title>", "<title>").split("<title>")[0]
    # The ids differ from the orders chart's, so both can be on one page.
    assert 'id="order-chart-title"' not in section


def test_released_and_paid_stand_side_by_side_from_the_baseline():
    months = last_months(dt.date(2026, 5, 2))
    counts = {(months[0], S.RELEASED): 30, (months[0], S.PAID): 10, (months[1], S.PAID): 40}

    chart = build_chart(counts, months, dashboard.COMMISSION_SERIES, stacked=False)

    assert not chart.stacked
    assert [value for value, _ in chart.ticks] == [0, 10, 20, 30, 40]  # the tallest bar, 40
    released, paid = chart.bars[0].segments
    assert (released.count, paid.count) == (30, 10)
    for segment in (released, paid):
        assert segment.y + segment.height == pytest.approx(chart.height)
    assert paid.x == pytest.approx(released.x + released.width)
    assert released.width == pytest.approx(chart.bars[0].width / 2)
    assert released.height == pytest.approx(paid.height * 3)
    assert chart.bars[1].segments[0].y == pytest.approx(0)
    # The same series stack unless told otherwise, as the orders chart does.
    stacked = build_chart({(months[0], S.RELEASED): 1}, months, dashboard.COMMISSION_SERIES)
    assert stacked.stacked and stacked.bars[0].segments[0].x == stacked.bars[0].x


def test_a_transition_shows_in_the_chart_at_once(client_for, alice, account_a):
    this_month = timezone.localdate().replace(day=1)
    made = commission(account_a)
    client = client_for(alice)
    assert home_chart(client.get(HOME), "commission").count(this_month, S.RELEASED) == 0

    made.transition_to(S.RELEASED)

    chart = home_chart(client.get(HOME), "commission")
    assert (chart.count(this_month, S.RELEASED), chart.count(this_month, S.PAID)) == (1, 0)


def test_the_chart_never_counts_another_resellers_commissions(
    client_for, charlie, monthly_commissions
):
    months, _plan = monthly_commissions

    chart = home_chart(client_for(charlie).get(HOME), "commission")

    assert chart.count(months[11], S.RELEASED) == 1
    assert chart.count(months[6], S.PAID) == 1
    assert chart.series_total(S.RELEASED) + chart.series_total(S.PAID) == 2


# Queries ------------------------------------------------------------------------------------------


def home_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(queries)


def add(account, n):
    months = last_months(timezone.localdate())
    for i in range(n):
        made = commission(account, code=("IMB", "IMT", "BRLINK")[i % 3], due_date=days_ago(i))
        moved(made, S.PROVISIONED, S.RELEASED, mid_month(months[i % 12]))
        OrderFactory(account=account)
    CommissionMonth.objects.refresh([account.pk])


def test_the_home_page_runs_the_same_queries_at_any_number_of_commissions(
    client_for, alice, account_a
):
    client = client_for(alice)
    add(account_a, 5)
    few = home_queries(client)

    add(account_a, 40)
    many = home_queries(client)

    assert home_chart(client.get(HOME), "commission").series_total(S.RELEASED) == 45
    assert few == many

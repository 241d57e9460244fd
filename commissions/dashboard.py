"""The commissions' part of the home page: "Comissões liberadas" per company and "Faturas
vencidas", which open the commissions list, and the commissions released and paid per month.
HOME_TILES and HOME_CHARTS in the settings name them."""

from dataclasses import replace

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from collaborators.access import can_open
from collaborators.modules import Module
from commissions.models import Commission, CommissionMonth, Company
from portal.dashboard import Series, TileSource, build_chart, last_months, month_counts

COMMISSION_SERIES = (
    Series(Commission.Status.RELEASED, pgettext_lazy("chart", "Released"), "#e69f00"),
    Series(Commission.Status.PAID, pgettext_lazy("chart", "Paid"), "#009e73"),
)


def commission_tiles(request):
    """One "Comissões liberadas" tile per company, then "Faturas vencidas" (overdue_q)."""
    for company in Company.objects.order_by("code"):
        yield (
            gettext("Released commissions %(company)s") % {"company": company.code},
            {"company": company.code, "status": Commission.Status.RELEASED},
        )
    yield _("Overdue invoices"), {"overdue": "true"}


TILES = (TileSource("commissions:list", commission_tiles),)


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

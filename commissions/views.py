from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from collaborators.access import ModuleRequiredMixin, module_required
from collaborators.modules import Module
from commissions.filters import CommissionFilterSet
from commissions.models import Commission, CommissionTotal
from commissions.tables import CommissionTable
from portal.lists import ListPageView
from portal.scoping import get_visible_or_404

# The filters whose fields CommissionTotal is kept by.
TOTALLED_FILTERS = {"account", "company", "status"}


class CommissionListView(ModuleRequiredMixin, ListPageView):
    model = Commission
    module = Module.COMMISSIONS_TRACK
    filterset_class = CommissionFilterSet
    table_class = CommissionTable
    title = _("Track commissions")
    intro = _(
        "Follow the status of all your commissions on this page. You can filter the rows in the "
        "table and download reports of the results."
    )
    filter_title = _("Filter commissions")
    search_label = _("Search commissions")
    row_hint = _("Click a commission to see its details.")
    export_filename = "comissoes"
    summary_template_name = "commissions/commission_totals.html"

    def summary(self, state):
        """The count and net total of every filtered row. Filtered by account, company and
        status alone (or not at all), they come from the few CommissionTotal rows; any other
        filter narrows the rows, which are then added up."""
        filterset = state.filterset
        if not filterset.is_bound or filterset.is_valid():
            used = {
                name: value
                for name, value in getattr(filterset.form, "cleaned_data", {}).items()
                if value not in (None, "")
            }
            if used.keys() <= TOTALLED_FILTERS:
                return CommissionTotal.objects.visible_to(self.request.user).filter(**used).totals()
        return state.queryset.totals()


@module_required(Module.COMMISSIONS_TRACK)
def commission_detail(request, pk):
    commission = get_visible_or_404(
        Commission.objects.select_related("account", "company", "installment__customer", "request"),
        request,
        pk=pk,
    )
    return render(
        request,
        "commissions/commission_detail.html",
        {
            "commission": commission,
            "installment": commission.installment,
            "service_invoice": commission.request.service_invoices.first()
            if commission.request
            else None,
            "history": commission.labelled_status_history(),
        },
    )

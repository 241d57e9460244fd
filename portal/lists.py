"""The one list-page pattern: a FilterSet, a Table, a page-size selector, htmx swaps
and the consolidated xlsx report of exactly the filtered rows, in the table's order.

A list view names its model, FilterSet and Table; everything else is shared. Who may open it is
not the list's business: the view composes the one access check where it is declared:

    class OrderListView(ModuleRequiredMixin, ListPageView):
        model = Order
        module = Module.ORDERS
        filterset_class = OrderFilterSet
        table_class = OrderTable
        export_filename = "pedidos"
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_tables2.paginators import LazyPaginator

from portal import xlsx

PER_PAGE_CHOICES = (10, 25, 50, 100)
DEFAULT_PER_PAGE = PER_PAGE_CHOICES[0]
# The most rows a page may skip. PostgreSQL reads and throws away every row before the page
# (OFFSET), so a deep page costs more than page 1 however good the index; past this depth a list
# asks to narrow the filters or to download the report instead. Chosen by `bench/run.py deep` on
# 1,000,000 orders and commissions: see bench/README.md.
MAX_OFFSET = 2_000
RESULTS_ID = "list-results"


def _small_number(raw):
    """`raw` as a number if it is a few ASCII digits, else None.

    str.isdigit() also accepts "²" and other digits that int() refuses, and int() refuses
    strings of thousands of digits: both would otherwise answer 500.
    """
    if raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return int(raw)
    return None


def _with_tiebreaker(queryset):
    """`queryset` ordered down to the row.

    Sorting by a column with equal values (a status, a day) leaves the order of those rows to
    the database, which may change between two queries: OFFSET pages would then repeat some rows
    and skip others, and the report would not follow the list. The primary key settles ties.
    """
    query = queryset.query
    ordering = tuple(
        query.order_by or (query.get_meta().ordering if query.default_ordering else ())
    )
    if any(key in ("pk", "-pk", "id", "-id") for key in ordering):
        return queryset
    first = ordering[0] if ordering else "pk"
    descending = (
        first.startswith("-") if isinstance(first, str) else getattr(first, "descending", False)
    )
    return queryset.order_by(*ordering, "-pk" if descending else "pk")


class DepthCappedPaginator(LazyPaginator):
    """A LazyPaginator (no COUNT) that ends at `last_page`: no "next" link past it, and
    `more_beyond` says whether rows were left out."""

    def __init__(self, object_list, per_page, *, last_page, **kwargs):
        self.last_page = last_page
        self.more_beyond = False
        super().__init__(object_list, per_page, **kwargs)

    def page(self, number):
        if self.validate_number(number or 1) > self.last_page:
            # ListState never asks for one; if it did, it shows page 1 and says so.
            raise EmptyPage("past the deepest page")
        page = super().page(number)
        if self._num_pages > self.last_page:
            self._num_pages = self.last_page
            self.more_beyond = True
        return page


class ListState:
    """What one request asks of a list: the filtered rows, the sort, the page and its size."""

    def __init__(self, view, params):
        self.view = view
        self.params = params
        self.errors = []
        request = view.request
        self.filterset = view.filterset_class(
            params or None, queryset=view.get_queryset(), request=request
        )
        if self.filterset.is_bound and not self.filterset.is_valid():
            self.queryset = self.filterset.queryset.none()
        else:
            self.queryset = self.filterset.qs
        self.per_page = self._per_page(params.get("per_page"))
        self.page = self._page(params.get("page"))

    def _per_page(self, raw):
        if raw in (None, ""):
            return DEFAULT_PER_PAGE
        if _small_number(raw) in PER_PAGE_CHOICES:
            return int(raw)
        self.errors.append(
            _("Choose %(choices)s items per page.")
            % {"choices": ", ".join(str(c) for c in PER_PAGE_CHOICES)}
        )
        return DEFAULT_PER_PAGE

    @property
    def last_page(self):
        """The deepest page at this page size: the one that skips at most MAX_OFFSET rows."""
        return MAX_OFFSET // self.per_page + 1

    def _page(self, raw):
        if raw in (None, ""):
            return 1
        number = _small_number(raw)
        if number is None or number < 1:
            self.errors.append(_("The page number “%(page)s” does not exist.") % {"page": raw[:20]})
            return 1
        if number > self.last_page:
            self.errors.append(
                _(
                    "The list shows up to page %(last)s at %(per_page)s items per page. "
                    "Narrow the filters, or download the consolidated report, to see the rows "
                    "after that."
                )
                % {
                    "last": number_format(self.last_page, force_grouping=True),
                    "per_page": self.per_page,
                }
            )
            return 1
        return number

    def _table(self, queryset):
        table_class = self.view.table_class
        # Not Table(request=...): that runs RequestConfig, which pages with Django's Paginator
        # (a COUNT of every filtered row) and trusts the raw page and per_page parameters.
        order_by = self.params.get(table_class._meta.order_by_field) or None  # None: Meta.order_by
        table = table_class(queryset, order_by=order_by)
        table.request = self.view.request
        table.data.data = _with_tiebreaker(table.data.data)
        return table

    def table(self):
        table = self._table(self.view.table_class.for_list(self.queryset))
        paging = {
            "paginator_class": DepthCappedPaginator,
            "per_page": self.per_page,
            "last_page": self.last_page,
        }
        try:
            table.paginate(page=self.page, **paging)
        except (EmptyPage, PageNotAnInteger):
            self.errors.append(
                _("The page number “%(page)s” does not exist.") % {"page": self.page}
            )
            table.paginate(page=1, **paging)
        return table

    def export_queryset(self):
        """The filtered rows in the table's order: what the report exports."""
        return self._table(self.view.table_class.for_export(self.queryset)).data.data


class ListPageView(View):
    model = None
    filterset_class = None
    table_class = None
    template_name = "portal/list_page.html"
    results_template_name = "portal/list_results.html"
    title = ""
    intro = ""
    row_hint = gettext_lazy("Click a row to see its details.")
    export_filename = "relatorio"
    # Figures about every filtered row (a count, a sum), shown above the table when set.
    summary_template_name = None

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)

    def summary(self, state):
        """The context of `summary_template_name` for the filtered rows of `state` (a ListState:
        its filterset, and its queryset of the filtered rows)."""
        return None

    def state(self, params=None):
        return ListState(self, self.request.GET if params is None else params)

    def get(self, request, *args, **kwargs):
        state = self.state()
        if request.GET.get("export") == "xlsx":
            if state.filterset.is_bound and not state.filterset.is_valid():
                # A report of nothing would look like "no rows"; show the errors instead.
                return self.render_page(state)
            rows = state.export_queryset()
            limit = settings.LIST_EXPORT_MAX_ROWS
            # The report's cost grows with its rows (about half a second per thousand), and a
            # worker writing it serves no one else: past the limit, ask for narrower filters.
            # Looking one row past the limit costs a walk of the ids, not the report.
            if rows.values_list("pk", flat=True)[limit : limit + 1]:
                state.errors.append(
                    _(
                        "The consolidated report holds at most %(limit)s rows, and these "
                        "filters find more. Narrow them, for example to a shorter period, and "
                        "download the report again."
                    )
                    % {"limit": number_format(limit, force_grouping=True)}
                )
                return self.render_page(state)
            return xlsx.table_response(self.table_class, rows, self.export_filename)
        return self.render_page(state)

    def render_page(self, state):
        request = self.request
        table = state.table()
        query = {k: v for k, v in state.params.items() if k not in ("page", "export") and v}
        context = {
            "view": self,  # the templates read filter_title and search_label from it
            "title": self.title,
            "intro": self.intro,
            "row_hint": self.row_hint,
            "filter": state.filterset,
            "table": table,
            "errors": state.errors,
            "per_page": state.per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "results_id": RESULTS_ID,
            "export_url": f"?{urlencode({**query, 'export': 'xlsx'})}",
            "clear_url": request.path,
            "has_filters": any(k not in ("per_page", "sort") for k in query),
            "summary_template_name": self.summary_template_name,
            "summary": self.summary(state) if self.summary_template_name else None,
        }
        if request.htmx and request.htmx.target == RESULTS_ID:
            response = render(request, self.results_template_name, context)
        else:
            response = render(request, self.template_name, context)
        # One URL answers with a whole page or only the results: a cache must tell them apart.
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response

    @classmethod
    def count_for(cls, request, params):
        """The number of rows the list shows for `params`: the dashboard tiles use this."""
        view = cls()
        view.setup(request)
        return view.state(params).queryset.count()

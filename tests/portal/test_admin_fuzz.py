"""Hostile values in the Django admin's query strings and posts: never a 500.

Every registered ModelAdmin is fuzzed as staff: each list filter's parameters (from the filters
themselves, so a new filter is covered), the date hierarchy, search, ordering and paging, and
lookups nobody offers in the sidebar but anyone can type. Django answers a lookup it cannot use
with a redirect to "?e=1", and a lookup that is not allowed with a 400: both are fine. Then the
ids that anyone may forge in a post: an action's selection, a list_editable row, a form's
relations; and the autocomplete's search terms.

The change, delete and history pages' object ids are fuzzed with every other URL parameter in
test_url_fuzz.py. Only PostgreSQL shows the NUL holes; run these there too.
"""

from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter, ListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import Order
from portal.admin import GuardedAdminMixin
from tests.factories import OrderFactory
from tests.portal.test_admin import (
    messages_of,
    one_of_each,  # noqa: F401 - a row of every admin's model
)
from tests.portal.test_url_fuzz import HOSTILE

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)

# What the sidebar's parameters get, each alone: what broke one somewhere, and its neighbours.
FILTER_VALUES = [
    "\x00",
    str(10**30),
    str(2**63),
    "-1",
    "9" * 5000,
    "x" * 5000,
    "١٢٣",
    "²",
    "1,2",
    "9999",
    "10000",
    "13",
    "32",
    "2024-02-30",
    "9999-12-31",
    "(",
    "",
]
# With each lookup that anyone may type.
TYPED_VALUES = ["\x00", str(10**30), str(2**63), "-1", "10000", "(", "1,2", "١٢٣", "x" * 300, ""]
# For the fuzz.
ANY_VALUES = st.one_of(
    st.sampled_from([*HOSTILE, *FILTER_VALUES, *TYPED_VALUES]),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20),
)

LOOKUPS = [
    "",
    "__exact",
    "__iexact",
    "__in",
    "__gt",
    "__gte",
    "__lt",
    "__lte",
    "__range",
    "__isnull",
    "__contains",
    "__icontains",
    "__startswith",
    "__regex",
    "__iregex",
    "__year",
    "__month",
    "__day",
    "__week_day",
    "__date",
    "__hour",
]


def _filter_parameters(model_admin, request):
    """Every query parameter the changelist's list filters read, from the filters themselves."""
    model = model_admin.model
    names = []
    for item in model_admin.get_list_filter(request):
        if isinstance(item, type) and issubclass(item, ListFilter):
            spec = item(request, {}, model, model_admin)
        else:
            if isinstance(item, (tuple, list)):
                field_path, filter_class = item
            elif isinstance(item, str):
                field_path, filter_class = item, FieldListFilter.create
            else:
                pytest.fail(f"{model_admin}: unknown list_filter entry {item!r}; teach this test")
            field = get_fields_from_path(model, field_path)[-1]
            spec = filter_class(field, request, {}, model, model_admin, field_path=field_path)
        expected = spec.expected_parameters()
        assert expected, f"{model_admin}: filter {item!r} names no query parameter"
        names += [name for name in expected if name not in names]
    return names


def _parameters(model_admin, request):
    """(parameters that the admin offers, every other parameter someone may type)."""
    offered = _filter_parameters(model_admin, request)
    if model_admin.date_hierarchy:
        offered += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    offered += ["q", "o", "p", "all"]
    typed = ["id__exact", "pk__in", "pk", "x__gte", "_to_field", "_popup", "_facets", "e"]
    for field in model_admin.model._meta.concrete_fields:
        typed += [f"{field.name}{lookup}" for lookup in LOOKUPS]
        if isinstance(field, models.ForeignKey):
            typed += [f"{field.name}__id__exact", f"{field.name}__pk__in"]
    return offered, typed


def _check(response, query):
    status = response.status_code
    assert status in (200, 302, 400), f"?{query} answered {status}"
    if status == 302:
        # IncorrectLookupParameters: the admin's own "bad filter" answer.
        assert response.url.endswith("?e=1"), f"?{query} redirected to {response.url}"


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_hostile_values_in_an_admin_changelist_filter_never_answer_500(
    model,
    client_for,
    stella,
    one_of_each,  # noqa: F811
):
    model_admin = admin.site._registry[model]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    request = RequestFactory().get(url)
    request.user = stella
    offered, typed = _parameters(model_admin, request)
    client = client_for(stella)

    def attack(pairs, raw=False):
        if raw:  # the value's characters as they are, NUL included, only "&#=" escaped
            query = "&".join(f"{k}={quote(v, safe=' \x00/:,')}" for k, v in pairs)
        else:
            query = urlencode(pairs)
        _check(client.get(f"{url}?{query}"), query)

    for name in offered:
        for value in FILTER_VALUES:
            attack([(name, value)])
        attack([(name, "\x00")], raw=True)

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        pairs=st.lists(
            st.tuples(
                st.sampled_from(offered + typed),
                ANY_VALUES,
            ),
            min_size=1,
            max_size=4,
        ),
        raw=st.booleans(),
    )
    def fuzz(pairs, raw):
        attack(pairs, raw)

    fuzz()


def _one_field_of_each_type():
    """(model, field) for each kind of field that some admin lists: the lookups a field takes,
    and how they break, depend on its kind, not on its model."""
    found = {}
    for model in REGISTERED:
        for field in model._meta.concrete_fields:
            found.setdefault(field.get_internal_type(), (model, field.name))
    return found


FIELD_KINDS = _one_field_of_each_type()


@pytest.mark.parametrize("kind", sorted(FIELD_KINDS))
def test_every_typed_lookup_on_every_kind_of_field_never_answers_500(
    kind,
    client_for,
    stella,
    one_of_each,  # noqa: F811
):
    model, name = FIELD_KINDS[kind]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client = client_for(stella)
    for lookup in LOOKUPS:
        for value in TYPED_VALUES:
            query = urlencode([(f"{name}{lookup}", value)])
            _check(client.get(f"{url}?{query}"), query)


POSTED_IDS = ["abc", "1\x00", str(10**30), str(2**63), "²", "١٢٣", "-1", "", "1.5", "x" * 300]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_hostile_ids_posted_to_an_admin_changelist_never_answer_500(
    model,
    client_for,
    stella,
    one_of_each,  # noqa: F811
):
    """The selection of an action, and the rows of a list_editable, are ids that anyone may
    forge: the action is refused with a message, never applied to a 500."""
    model_admin = admin.site._registry[model]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    request = RequestFactory().get(url)
    request.user = stella
    client = client_for(stella)
    for action in model_admin.get_actions(request):
        for value in POSTED_IDS:
            data = {"action": action, "index": "0", "_selected_action": [value, "1"]}
            response = client.post(url, data)
            assert response.status_code in (200, 302), f"{action} on {value!r}"
    if model_admin.list_editable:
        for value in POSTED_IDS:
            data = {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-0-id": value,
                "_save": "Salvar",
            }
            response = client.post(url, data)
            assert response.status_code in (200, 302, 400), f"list_editable row id {value!r}"


# The attacks by name ------------------------------------------------------------------------------


@pytest.fixture
def staff(client_for, stella):
    return client_for(stella)


def _bad_filter(response):
    return response.status_code == 302 and response.url.endswith("?e=1")


def test_every_registered_admin_guards_its_changelist():
    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, GuardedAdminMixin)
    ]
    assert not unguarded, (
        f"{unguarded}: give these ModelAdmins portal.admin.GuardedAdminMixin "
        "(or build them on PortalModelAdmin)"
    )


def test_a_nul_byte_in_an_admin_filter_answers_400_not_500(staff, account_a):
    OrderFactory(account=account_a)
    for query in ("status=%00", "status__exact=%00", "q=%00", "number__startswith=a%00"):
        assert staff.get(f"/admin/orders/order/?{query}").status_code == 400, query


@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=9999",  # the next year, Django's upper bound, is 10000
        "created_at__year=9999&created_at__month=12",
        "created_at__year=9999&created_at__month=12&created_at__day=31",
        f"created_at__year={10**30}",
        f"created_at__year={2**63}",
        "created_at__year=2026&created_at__month=99999999999999999999",
    ],
)
def test_a_year_beyond_9999_in_the_date_hierarchy_is_a_bad_filter_not_a_500(
    query, staff, account_a
):
    OrderFactory(account=account_a)
    assert _bad_filter(staff.get(f"/admin/orders/order/?{query}"))


@pytest.mark.parametrize("query", ["last_login__year=10000", "date_joined__year=-1"])
def test_a_year_out_of_range_in_a_typed_year_lookup_is_a_bad_filter_not_a_500(query, staff):
    assert _bad_filter(staff.get(f"/admin/accounts/user/?{query}"))


@pytest.mark.parametrize("query", ["number__regex=(", "number__iregex=[[:alpha:]", "id__regex=*"])
def test_a_malformed_regex_lookup_is_refused_not_a_500(query, staff, account_a):
    OrderFactory(account=account_a)
    assert staff.get(f"/admin/orders/order/?{query}").status_code == 400


@pytest.mark.parametrize("query", ["id__range=1,5", "created_at__range=", "number__range=10000"])
def test_a_range_lookup_is_refused_since_a_query_string_cannot_carry_its_pair(
    query, staff, account_a
):
    OrderFactory(account=account_a)
    assert staff.get(f"/admin/orders/order/?{query}").status_code == 400


@pytest.mark.parametrize("value", ["²", "9" * 5000, str(10**30), "-1", "1.0", " 1"])
def test_a_reseller_filter_on_something_that_is_no_id_is_a_bad_filter_not_a_500(
    value, staff, account_a
):
    OrderFactory(account=account_a)
    assert _bad_filter(staff.get("/admin/orders/order/", {"reseller": value}))
    # The account filter shows once a reseller is chosen.
    query = {"reseller": account_a.reseller_id, "account": value}
    assert _bad_filter(staff.get("/admin/orders/order/", query))


def test_the_reseller_and_account_filters_still_filter(staff, account_a, account_b):
    mine, theirs = OrderFactory(account=account_a), OrderFactory(account=account_b)
    for query in (
        {"reseller": account_a.reseller_id},
        {"reseller": account_a.reseller_id, "account": account_a.pk},
    ):
        response = staff.get("/admin/orders/order/", query)
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [mine], query
    assert theirs not in response.context["cl"].result_list


@pytest.mark.parametrize("query", [f"pk__in={10**30}", f"id__in=1,{2**63}", f"id={10**30}"])
def test_an_id_beyond_64_bits_in_a_typed_lookup_never_answers_500(query, staff, account_a):
    OrderFactory(account=account_a)
    response = staff.get(f"/admin/orders/order/?{query}")
    # `id=` is an exact lookup, which Django answers with no rows; `__in` is a bad filter.
    assert response.status_code == 200 or _bad_filter(response)


@pytest.mark.parametrize("forged", ["abc", "1\x00", "²", str(10**30)])
def test_an_admin_action_on_a_forged_selection_changes_nothing(forged, staff, account_a):
    order = OrderFactory(account=account_a)
    response = staff.post(
        "/admin/orders/order/",
        {"action": "transition_to_cancelled", "index": "0", "_selected_action": [order.pk, forged]},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    with translation.override("pt-br"):
        refusal = translation.gettext("The selection is not valid. No items have been changed.")
    assert ("error", refusal) in messages_of(response)


FORM_VALUES = [
    "abc",
    "\x00",
    "a\x00b",
    str(10**30),
    str(2**63),
    "-1",
    "²",
    "10000-01-01",
    "x" * 5000,
]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_hostile_values_posted_to_an_admin_form_never_answer_500(
    model,
    client_for,
    stella,
    one_of_each,  # noqa: F811
):
    """Every field of the add form at once, then each relation alone: a refused form is shown
    again with what was posted, forged ids included."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    client = client_for(stella)
    page = client.get(url)
    if page.status_code == 403:  # a read-only admin
        return
    form = page.context["adminform"].form
    management = {}
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.management_form.prefix
        management |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    relations = [name for name, field in form.fields.items() if hasattr(field, "queryset")]
    for value in FORM_VALUES:
        posts = [dict.fromkeys(form.fields, value)]
        posts += [{name: value} for name in relations]
        for data in posts:
            response = client.post(url, {**data, **management})
            assert response.status_code in (200, 302, 400), f"{sorted(data)} = {value[:20]!r}"


@pytest.mark.parametrize("forged", ["abc", "²", "1\x00", str(10**30)])
def test_a_forged_account_id_posted_to_the_order_form_is_a_form_error_not_a_500(
    forged, staff, account_a
):
    response = staff.post(
        "/admin/orders/order/add/", {"account": forged, "number": "A1", "total": "1"}
    )
    assert response.status_code == 200
    assert "account" in response.context["adminform"].form.errors
    assert not Order.objects.filter(number="A1").exists()


def test_hostile_search_terms_in_the_admin_autocomplete_never_answer_500(
    client_for,
    stella,
    one_of_each,  # noqa: F811
):
    client = client_for(stella)
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.autocomplete_fields:
            for term in ["\x00", str(10**30), str(2**63), "-1", "²", "x" * 5000, "(", "١٢٣"]:
                for page in ("1", str(10**30), "x"):
                    query = {
                        "app_label": model._meta.app_label,
                        "model_name": model._meta.model_name,
                        "field_name": field_name,
                        "term": term,
                        "page": page,
                    }
                    response = client.get("/admin/autocomplete/", query)
                    assert response.status_code in (200, 400, 404), query

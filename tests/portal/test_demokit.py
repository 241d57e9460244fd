"""The demo kit (portal/demokit.py): generic helpers of the demo data set."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import Customer
from portal import cnpj, demokit
from portal.models import StatusChange
from tests.demo.helpers import assert_valid_pdf, nfe_check_digit
from tests.factories import CustomerFactory, OrderFactory, UserFactory


def test_each_section_has_its_own_generator_and_the_same_seed_gives_the_same_numbers():
    ctx = demokit.Context(seed=7, size=20, today=dt.date(2026, 3, 16))
    again = demokit.Context(seed=7, size=20, today=dt.date(2026, 3, 16))

    assert ctx.rng("orders").random() == again.rng("orders").random()
    assert ctx.rng("orders").random() != ctx.rng("invoices").random()


def test_days_are_counted_back_from_today_and_nothing_is_later_than_yesterday():
    ctx = demokit.Context(seed=7, size=20, today=dt.date(2026, 3, 16))

    assert ctx.day(1) == ctx.last_day == dt.date(2026, 3, 15)
    assert ctx.clip(dt.date(2026, 4, 1)) == dt.date(2026, 3, 15)
    assert ctx.clip(dt.date(2026, 3, 1)) == dt.date(2026, 3, 1)
    moment = ctx.at(dt.date(2026, 3, 1), 9, 15)
    assert timezone.localtime(moment).replace(tzinfo=None) == dt.datetime(2026, 3, 1, 9, 15)


@pytest.mark.django_db
def test_history_is_written_with_the_moments_it_happened_at():
    subject = UserFactory()
    ctx = demokit.Context(seed=7, size=20, today=dt.date(2026, 3, 16))
    first, later = ctx.at(ctx.day(30), 10), ctx.at(ctx.day(3), 17, 40)
    ctx.history.record(subject, "", "a", first)
    ctx.history.record(subject, "a", "b", later, by=subject, reason="why")

    ctx.history.write()

    changes = StatusChange.objects.for_object(subject)
    assert [(c.from_status, c.to_status, c.changed_at) for c in changes] == [
        ("", "a", first),
        ("a", "b", later),
    ]
    assert changes[1].changed_by == subject and changes[1].reason == "why"
    assert ctx.history.written == 2 and ctx.history.entries == []


@pytest.mark.django_db
def test_insert_dated_leaves_auto_now_add_alone_for_everyone_else():
    subject = UserFactory()
    past = timezone.now() - dt.timedelta(days=400)
    rows = [StatusChange(content_type_id=1, object_id=subject.pk, to_status="x", changed_at=past)]

    demokit.insert_dated(StatusChange, rows, "changed_at")

    assert StatusChange.objects.get(pk=rows[0].pk).changed_at == past
    assert rows[0].changed_at == past
    assert StatusChange._meta.get_field("changed_at").auto_now_add
    now = StatusChange.record(subject, field="status", frm="x", to="y")
    assert now.changed_at > past + dt.timedelta(days=399)


@pytest.mark.django_db
def test_unreferenced_keeps_what_another_row_still_points_at():
    kept, gone = CustomerFactory(), CustomerFactory()
    OrderFactory(customer=kept)

    demokit.unreferenced(Customer.objects.filter(pk__in=[kept.pk, gone.pk])).delete()

    assert list(Customer.objects.filter(pk__in=[kept.pk, gone.pk])) == [kept]


def test_documents_and_identifiers():
    assert cnpj.is_valid(demokit.make_cnpj("34516278", 3))
    key = demokit.nfe_access_key(
        state_code="35",
        issued=dt.date(2026, 3, 2),
        issuer_cnpj=demokit.make_cnpj("06241557"),
        series="1",
        number="101234567",
        random_code=42,
    )
    assert len(key) == 44 and int(key[-1]) == nfe_check_digit(key[:43])
    assert_valid_pdf(demokit.minimal_pdf(["Nota (1) \\ ação", "101234567"]), "101234567")
    assert demokit.brl(demokit.cents(307285)) == "R$ 3.072,85"
    assert demokit.format_date(dt.date(2026, 3, 2)) == "02/03/2026"

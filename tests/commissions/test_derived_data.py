"""The data derived from commissions and kept beside them: CommissionTotal (count and net total
per account, company and status, which the list's totals and the home tiles read),
CommissionMonth (releases and payments per account and month, which the dashboard chart reads)
and the commission's copies of its installment's dates (which the list sorts and filters on).
After every way of writing commissions and installments, all three equal a recount from
scratch; the writes that cannot keep them are refused."""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone, translation

from commissions.models import (
    Commission,
    CommissionMonth,
    CommissionTotal,
    Installment,
    copied_from,
)
from portal import rollups
from portal.models import StatusChange
from tests.commissions.helpers import (
    S,
    added_up,
    assert_commission_data_in_step,
    commission,
    recounted_commission_months,
    recounted_copies,
    rollup,
    stored_commission_months,
)
from tests.factories import InstallmentFactory, ResellerAccountFactory, company
from tests.locks import at_once, postgres_only

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "erp"
ERP_FILES = [
    ("customers", "customers.csv"),
    ("orders", "orders.xlsx"),
    ("order_lines", "order_lines.csv"),
    ("invoices", "invoices.csv"),
    ("deliveries", "deliveries.csv"),
    ("installments", "installments.csv"),
    ("commissions", "commissions.csv"),
    ("payments", "payments.csv"),
]
PAYMENT = [S.REQUESTED, S.IN_ANALYSIS, S.APPROVED, S.PAID]


def recounted():
    return added_up(), recounted_commission_months(), recounted_copies()


def backdated(obj, frm, to, when):
    """A status change of `obj` recorded at `when`, as a bulk load writes history."""
    change = StatusChange.record(obj, field="status", frm=frm, to=to)
    StatusChange.objects.filter(pk=change.pk).update(changed_at=when)


@pytest.fixture
def world(account_a, account_b, reseller_a):
    """Commissions of three accounts and companies, released and paid this month and before."""
    other = ResellerAccountFactory(reseller=reseller_a)
    c = {
        "provisioned": commission(account_a, net="100.00"),
        "released": commission(account_a, net="40.00", code="IMT", paid_date=dt.date(2026, 1, 9)),
        "paid": commission(other, net="25.50", paid_date=dt.date(2026, 1, 2)),
        "old": commission(other, status=S.RELEASED, net="9.90", code="BRLINK"),
        "hold": commission(account_b, status=S.ON_HOLD, net="70.00", code="BRLINK"),
    }
    c["released"].transition_to(S.RELEASED)
    c["paid"].transition_to(S.RELEASED)
    for status in PAYMENT:
        c["paid"].transition_to(status)
    # Released in an earlier month, by a load that wrote the history and then recounted.
    backdated(c["old"], S.PROVISIONED, S.RELEASED, timezone.now() - dt.timedelta(days=70))
    # Each case starts from a recount, so that it shows what its own write does.
    accounts = [account_a.pk, account_b.pk, other.pk]
    CommissionMonth.objects.refresh(accounts)
    CommissionTotal.objects.refresh(accounts)
    return SimpleNamespace(a=account_a, b=account_b, other=other, c=c)


def _save(obj, update_fields=None, **values):
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=update_fields)


def _installment(account, **dates):
    dates.setdefault("issue_date", dt.date(2025, 11, 3))
    dates.setdefault("due_date", dt.date(2025, 12, 3))
    return InstallmentFactory(account=account, company=company("IMT"), **dates)


def _to_another_installment(w):
    new = _installment(w.a, paid_date=dt.date(2025, 12, 1))
    Commission.objects.filter(pk=w.c["provisioned"].pk).update(installment=new)


def _new_commissions(w, copy=False):
    installments = Installment.objects.bulk_create(
        [
            Installment(
                invoice_number="90000001",
                number=n,
                company=company("IMT"),
                account=w.b,
                customer=w.c["hold"].installment.customer,
                issue_date=dt.date(2025, 10, n),
                due_date=dt.date(2025, 11, n),
                amount=Decimal("10.00"),
                paid_date=dt.date(2025, 11, 20) if n == 2 else None,
            )
            for n in (1, 2)
        ]
    )
    # Unless asked, without their copied dates: bulk_create fills them in from the installments.
    return Commission.objects.bulk_create(
        Commission(
            installment=installment,
            account=w.b,
            company=installment.company,
            net_amount=Decimal("3.00"),
            status=S.RELEASED if installment.paid_date else S.PROVISIONED,
            **(copied_from(installment) if copy else {}),
        )
        for installment in installments
    )


def _bulk_create_then_refresh(w):
    """What a bulk load does: bulk_create with the copies, history in bulk, then the documented
    bulk path."""
    made = _new_commissions(w, copy=True)
    history = ContentType.objects.get_for_model(Commission)
    StatusChange.objects.bulk_create(
        StatusChange(content_type=history, object_id=made[1].pk, from_status=frm, to_status=to)
        for frm, to in [(S.PROVISIONED, S.RELEASED), (S.APPROVED, S.PAID)]
    )
    CommissionTotal.objects.refresh([w.b.pk])
    CommissionMonth.objects.refresh([w.b.pk])


def _bulk_update_commissions(w):
    provisioned, paid = w.c["provisioned"], w.c["paid"]
    provisioned.net_amount, provisioned.status = Decimal("1.00"), S.CANCELLED
    paid.account = w.b
    Commission.objects.bulk_update([provisioned, paid], ["net_amount", "status", "account"])


def _bulk_update_installments(w):
    first, second = w.c["provisioned"].installment, w.c["hold"].installment
    first.due_date, second.paid_date = dt.date(2027, 1, 1), dt.date(2026, 2, 2)
    Installment.objects.bulk_update([first, second], ["due_date", "paid_date"])


def _pay(w):
    for status in PAYMENT:
        w.c["released"].transition_to(status)


WRITES = {
    "create a commission": lambda w: commission(w.a, status=S.RELEASED, net="7.00", code="IMT"),
    "save a commission's net amount": lambda w: _save(
        w.c["provisioned"], net_amount=Decimal("55.50")
    ),
    "save a commission's status, update_fields": lambda w: _save(
        w.c["provisioned"], ["status"], status=S.CANCELLED
    ),
    "save a commission's account": lambda w: _save(w.c["paid"], ["account"], account=w.b),
    "save a commission's company": lambda w: _save(w.c["hold"], company=company("IMB")),
    "save a commission on another installment": lambda w: _save(
        w.c["provisioned"], ["installment"], installment=_installment(w.a)
    ),
    "save an installment's dates": lambda w: _save(
        w.c["provisioned"].installment,
        issue_date=dt.date(2025, 12, 24),
        due_date=dt.date(2026, 6, 30),
    ),
    "save an installment's payment, update_fields": lambda w: _save(
        w.c["provisioned"].installment,
        ["paid_date", "paid_amount"],
        paid_date=dt.date(2026, 3, 1),
        paid_amount=Decimal("1500.00"),
    ),
    "transition a commission": lambda w: w.c["provisioned"].transition_to(S.RELEASED),
    "transition a commission to paid": _pay,
    "delete a commission": lambda w: w.c["paid"].delete(),
    "delete commissions": lambda w: Commission.objects.filter(account=w.other).delete(),
    "update commissions' status": lambda w: Commission.objects.filter(status=S.PROVISIONED).update(
        status=S.CANCELLED
    ),
    "update commissions' net amount": lambda w: Commission.objects.filter(account=w.a).update(
        net_amount=F("net_amount") * 2
    ),
    "update commissions' account": lambda w: Commission.objects.filter(account=w.other).update(
        account=w.b
    ),
    "update commissions' company": lambda w: Commission.objects.filter(account=w.a).update(
        company=company("BRLINK")
    ),
    "update a commission's installment": _to_another_installment,
    "update installments' issue date": lambda w: Installment.objects.filter(account=w.a).update(
        issue_date=dt.date(2024, 1, 2)
    ),
    "update installments' due date": lambda w: Installment.objects.filter(
        commission__status=S.ON_HOLD
    ).update(due_date=dt.date(2026, 8, 1)),
    "update installments' paid date": lambda w: Installment.objects.filter(
        paid_date__isnull=True
    ).update(paid_date=dt.date(2026, 2, 27)),
    "bulk_update commissions": _bulk_update_commissions,
    "bulk_update installments": _bulk_update_installments,
    "bulk_create": _new_commissions,
    "bulk_create then refresh": _bulk_create_then_refresh,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_after_each_write_the_derived_data_equals_a_recount(world, write):
    assert_commission_data_in_step()
    before = recounted()

    write(world)

    assert recounted() != before, "the write changes nothing the derived data follows"
    assert_commission_data_in_step()


def test_the_copied_dates_are_written_by_the_installment_alone(world):
    with pytest.raises(rollups.CopiedFieldWrite, match="sync_installment_dates"):
        Commission.objects.update(issue_date=dt.date(2020, 1, 1))
    made = world.c["provisioned"]
    made.due_date = dt.date(2020, 1, 1)
    with pytest.raises(rollups.CopiedFieldWrite, match="Installment"):
        Commission.objects.bulk_update([made], ["net_amount", "due_date"])
    assert_commission_data_in_step()


def test_an_upsert_that_rewrites_a_totalled_field_is_refused(world):
    again = Commission(installment=world.c["provisioned"].installment, net_amount=1)
    with pytest.raises(rollups.CopiedFieldWrite, match="net_amount"):
        Commission.objects.bulk_create(
            [again],
            update_conflicts=True,
            unique_fields=["installment"],
            update_fields=["net_amount"],
        )


def test_saving_a_changed_amount_and_status_moves_the_difference(account_a):
    changed = commission(account_a, net="10.00")
    commission(account_a, net="3.00")
    _save(changed, ["net_amount", "status"], net_amount=Decimal("12.34"), status=S.ON_HOLD)
    assert rollup() == added_up()
    assert CommissionTotal.objects.get(status=S.PROVISIONED).net_total == Decimal("3.00")
    assert CommissionTotal.objects.get(status=S.ON_HOLD).net_total == Decimal("12.34")


def test_a_stale_instance_saves_the_dates_as_its_installment_has_them(world):
    stale = Commission.objects.get(pk=world.c["provisioned"].pk)
    _save(world.c["provisioned"].installment, ["issue_date"], issue_date=dt.date(2025, 7, 7))

    _save(stale, net_amount=Decimal("1.00"))

    assert Commission.objects.get(pk=stale.pk).issue_date == dt.date(2025, 7, 7)
    assert_commission_data_in_step()


def test_refresh_and_sync_repair_what_sql_wrote_around_the_models(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE commissions_commission SET status = 'cancelled', account_id = %s",
            [world.b.pk],
        )
        cursor.execute("UPDATE commissions_installment SET due_date = '2030-01-01'")

    accounts = [world.a.pk, world.b.pk, world.other.pk]
    CommissionTotal.objects.refresh(accounts)
    CommissionMonth.objects.refresh(accounts)
    Commission.objects.all().sync_installment_dates()

    assert_commission_data_in_step()


def test_saving_fields_that_nothing_derives_from_costs_one_query(world, django_assert_num_queries):
    made = world.c["provisioned"]
    made.payment_document = "PG-1"
    made.installment.amount = 1
    with django_assert_num_queries(1):
        made.save(update_fields=["payment_document"])
    with django_assert_num_queries(1):  # the UPDATE of the installment alone
        made.installment.save(update_fields=["amount"])
    assert_commission_data_in_step()


@pytest.fixture
def erp_accounts(reseller_a, reseller_b):
    """The reseller accounts that the sample files name."""
    for reseller, codes in (
        (reseller_a, ["M000000000LL", "M000000017LL", "M000000023LL"]),
        (reseller_b, ["M000000000BB"]),
    ):
        for code in codes:
            ResellerAccountFactory(reseller=reseller, code=code)


def test_the_erp_import_of_the_samples_keeps_the_derived_data(erp_accounts):
    with translation.override("en"):
        for kind, name in ERP_FILES:
            call_command("import_erp", kind, str(SAMPLES / name), stdout=io.StringIO())

    assert rollup()
    assert stored_commission_months()
    assert Commission.objects.filter(installment_paid_date__isnull=False).exists()
    assert_commission_data_in_step()


@pytest.mark.django_db
def test_the_demo_keeps_the_derived_data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command(
        "demo_data",
        "--orders",
        "60",
        "--today",
        "2026-03-16",
        "--i-know-this-is-not-production",
        stdout=io.StringIO(),
    )

    assert rollup()
    assert stored_commission_months()
    assert Commission.objects.filter(installment_paid_date__isnull=False).exists()
    assert_commission_data_in_step()


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_one_commission_at_once_each_move_their_own_difference(account_a):
    made = commission(account_a, net="10.00")
    first, second = Commission.objects.get(pk=made.pk), Commission.objects.get(pk=made.pk)

    results = at_once(
        lambda: _save(first, ["net_amount"], net_amount=Decimal("20.00")),
        lambda: _save(second, ["net_amount"], net_amount=Decimal("30.00")),
    )

    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert rollup() == added_up() == {(account_a.pk, made.company_id, S.PROVISIONED): (1, 30)}


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_releases_into_a_missing_total_at_once_both_count(account_a):
    provisioned = commission(account_a, net="10.00")
    held = commission(account_a, status=S.ON_HOLD, net="5.00")

    results = at_once(
        lambda: Commission.objects.get(pk=provisioned.pk).transition_to(S.RELEASED),
        lambda: Commission.objects.get(pk=held.pk).transition_to(S.RELEASED),
    )

    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert rollup()[account_a.pk, provisioned.company_id, S.RELEASED] == (2, Decimal("15.00"))
    assert_commission_data_in_step()

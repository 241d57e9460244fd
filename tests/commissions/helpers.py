"""Builders shared by the commissions tests: a commission with its installment, customer and,
when asked, the request and the reseller's NF that paid it; the data derived from commissions,
recounted from scratch."""

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from collaborators.modules import Module
from commissions.models import Commission, CommissionMonth, CommissionTotal
from nfreport.models import ServiceInvoice
from orders.models import Delivery
from portal.models import StatusChange
from tests.factories import (
    CollaboratorFactory,
    CommissionFactory,
    CommissionRequestFactory,
    InstallmentFactory,
    UserFactory,
    company,
)
from tests.orders.helpers import assert_order_data_in_step

S = Commission.Status


def today():
    return timezone.localdate()


def days_ago(days):
    return today() - dt.timedelta(days=days)


def commission(account, *, status=S.PROVISIONED, net="100.00", code="IMB", **installment):
    """A commission of `account` on a new installment; `installment` sets that one's fields."""
    made = InstallmentFactory(account=account, company=company(code), **installment)
    return CommissionFactory(installment=made, status=status, net_amount=Decimal(net))


def paid_commission(account, *, nf_number="4471", nf_series="1", **kwargs):
    """A paid commission, its request and the reseller's NF for that request."""
    kwargs.setdefault("paid_date", days_ago(40))
    made = commission(account, status=S.PAID, **kwargs)
    request = CommissionRequestFactory(
        reseller=account.reseller, company=made.company, total=made.net_amount, status="paid"
    )
    ServiceInvoice.objects.create(
        request=request,
        number=nf_number,
        series=nf_series,
        amount=made.net_amount,
        pdf="service-invoices/nf.pdf",
        status=ServiceInvoice.Status.PAID,
    )
    made.request = request
    made.payment_date = days_ago(3)
    made.payment_document = "5100041234"
    made.save()
    return made


def tracker(reseller, email="tina@revenda-a.example"):
    """A collaborator with only the commissions_track module."""
    return CollaboratorFactory(
        user=UserFactory(email=email, name="Tina Teixeira"),
        reseller=reseller,
        modules=[Module.COMMISSIONS_TRACK],
    )


def pks(response):
    """The commission ids of the rows on the page, in the order shown."""
    return [row.record.pk for row in response.context["table"].page.object_list]


def form_errors(response):
    data = response.context["filter"].form.errors.as_data()
    return {name: [e.code for e in errors] for name, errors in data.items()}


def rollup():
    """CommissionTotal as {(account, company, status): (count, net total)}, empty rows left out."""
    return {
        (t.account_id, t.company_id, t.status): (t.count, t.net_total)
        for t in CommissionTotal.objects.all()
        if t.count or t.net_total
    }


def added_up():
    """The same figures, added up from the commissions themselves."""
    totals = {}
    for c in Commission.objects.all():
        count, net = totals.get((c.account_id, c.company_id, c.status), (0, Decimal(0)))
        totals[(c.account_id, c.company_id, c.status)] = (count + 1, net + c.net_amount)
    return totals


def charted(frm, to):
    """Whether CommissionMonth counts a move: a payment, or a first release (from provisioned or
    on hold; back to released after a refused NF is not a second release)."""
    return to == S.PAID or (to == S.RELEASED and frm in (S.PROVISIONED, S.ON_HOLD))


def recounted_commission_months():
    """CommissionMonth as the status history says, counted here in Python: the charted moves of
    each commission there is, under its account and the month of the move in the portal's time
    zone: {(account id, first day of the month, status): count}."""
    accounts = dict(Commission.objects.values_list("pk", "account_id"))
    moves = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Commission)
    ).values_list("object_id", "from_status", "to_status", "changed_at")
    return dict(
        Counter(
            (accounts[pk], timezone.localtime(at).date().replace(day=1), to)
            for pk, frm, to, at in moves
            if pk in accounts and charted(frm, to)
        )
    )


def stored_commission_months():
    """The same from CommissionMonth, leaving out rows that count nothing."""
    return {
        (r.account_id, r.month, r.status): r.count for r in CommissionMonth.objects.all() if r.count
    }


def recounted_copies():
    """{commission id: its installment's (issue date, due date, paid date)}."""
    return {
        pk: dates
        for pk, *dates in Commission.objects.values_list(
            "pk", "installment__issue_date", "installment__due_date", "installment__paid_date"
        )
    }


def stored_copies():
    return {
        pk: dates
        for pk, *dates in Commission.objects.values_list(
            "pk", "issue_date", "due_date", "installment_paid_date"
        )
    }


def assert_commission_data_in_step():
    """CommissionTotal, CommissionMonth and the copied installment dates equal a recount from
    scratch."""
    assert rollup() == added_up()
    assert stored_commission_months() == recounted_commission_months()
    assert stored_copies() == recounted_copies()


def assert_copies_match_their_sources():
    """Every derived fact of orders and commissions equals a recount from scratch, on a data set
    that has deliveries, commissions and paid installments: for data written in bulk (demo, ERP
    import)."""
    assert Delivery.objects.exists()
    assert Commission.objects.filter(installment_paid_date__isnull=False).exists()
    assert_order_data_in_step()
    assert_commission_data_in_step()

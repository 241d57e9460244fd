"""Every status lifecycle: each allowed move works and is recorded, every other move raises."""

from decimal import Decimal
from itertools import product

import pytest

from commissions.models import Commission, CommissionRequest
from nfreport.models import ServiceInvoice
from orders.models import Delivery, Order
from portal.lifecycle import IllegalTransition, ReasonRequired
from portal.models import StatusChange
from tests.factories import (
    CommissionFactory,
    CommissionRequestFactory,
    DeliveryFactory,
    OrderFactory,
    UserFactory,
)
from tests.locks import at_once, postgres_only

C = Commission.Status
R = CommissionRequest.Status
N = ServiceInvoice.Status


def make_service_invoice(status):
    return ServiceInvoice.objects.create(
        request=CommissionRequestFactory(),
        number="4711",
        series="A1",
        amount=Decimal("350.00"),
        pdf="service-invoices/1/nfse.pdf",
        status=status,
    )


BUILDERS = {
    Order: lambda status: OrderFactory(status=status),
    Delivery: lambda status: DeliveryFactory(status=status),
    Commission: lambda status: CommissionFactory(status=status),
    CommissionRequest: lambda status: CommissionRequestFactory(status=status),
    ServiceInvoice: make_service_invoice,
}


def all_pairs(model):
    statuses = [value for value, _ in model.Status.choices]
    return list(product(statuses, statuses))


@pytest.fixture
def clerk(db):
    """Distributor staff without a local password: hashing one would slow every case down."""
    return UserFactory(email="clerk@distribuidora.example", name="Clara", is_staff=True)


ALLOWED = [
    pytest.param(model, frm, to, id=f"{model.__name__}:{frm}->{to}")
    for model in BUILDERS
    for frm, to in all_pairs(model)
    if model.lifecycle.allows(frm, to)
]
NOT_ALLOWED = [
    pytest.param(model, frm, to, id=f"{model.__name__}:{frm}->{to}")
    for model in BUILDERS
    for frm, to in all_pairs(model)
    if not model.lifecycle.allows(frm, to)
]


def test_commission_table_is_the_designed_one():
    # docs/architecture.md#lifecycles: provisioned → on hold → released → requested → in
    # analysis → approved → paid; cancelled or reversed as endings; a rejected NF sends it back
    # to released. Compliance approval before the payment is identified sends a held one back to
    # provisioned.
    assert Commission.lifecycle.transitions == {
        C.PROVISIONED: {C.ON_HOLD, C.RELEASED, C.CANCELLED, C.REVERSED},
        C.ON_HOLD: {C.PROVISIONED, C.RELEASED, C.CANCELLED},
        C.RELEASED: {C.REQUESTED, C.CANCELLED, C.REVERSED},
        C.REQUESTED: {C.IN_ANALYSIS, C.RELEASED},
        C.IN_ANALYSIS: {C.APPROVED, C.RELEASED},
        C.APPROVED: {C.PAID},
        C.PAID: {C.REVERSED},
    }


def test_request_table_is_the_designed_one():
    # docs/architecture.md#lifecycles: awaiting NF → sent → in analysis → approved → paid;
    # refused (a new NF may be sent) and cancelled (by the reseller, before the analysis starts)
    # are the other endings.
    assert CommissionRequest.lifecycle.transitions == {
        R.AWAITING_NF: {R.SENT, R.CANCELLED},
        R.SENT: {R.IN_ANALYSIS, R.REFUSED, R.CANCELLED},
        R.IN_ANALYSIS: {R.APPROVED, R.REFUSED},
        R.APPROVED: {R.PAID},
        R.REFUSED: {R.SENT, R.CANCELLED},
    }


def test_service_invoice_table_is_the_designed_one():
    assert ServiceInvoice.lifecycle.transitions == {
        N.SENT: {N.IN_ANALYSIS, N.REFUSED, N.CANCELLED},
        N.IN_ANALYSIS: {N.APPROVED, N.REFUSED},
        N.APPROVED: {N.PAID},
    }


@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
def test_every_status_in_the_table_is_a_real_status(model):
    statuses = set(model.Status.values)
    for frm, targets in model.lifecycle.transitions.items():
        assert frm in statuses
        assert targets <= statuses
        assert frm not in targets


@pytest.mark.django_db
@pytest.mark.parametrize("model, frm, to", ALLOWED)
def test_allowed_move_works_and_records_who_when_why(model, frm, to, clerk):
    obj = BUILDERS[model](frm)

    change = obj.transition_to(to, by=clerk, reason="checked by the distributor")

    assert obj.status == to
    obj.refresh_from_db()
    assert obj.status == to
    [recorded] = StatusChange.objects.for_object(obj)
    assert recorded == change
    assert (recorded.from_status, recorded.to_status) == (frm, to)
    assert recorded.field == "status"
    assert recorded.changed_by == clerk
    assert recorded.reason == "checked by the distributor"
    assert recorded.changed_at is not None
    assert list(obj.status_history()) == [recorded]


@pytest.mark.django_db
@pytest.mark.parametrize("model, frm, to", NOT_ALLOWED)
def test_move_not_in_the_table_raises_and_changes_nothing(model, frm, to, clerk):
    obj = BUILDERS[model](frm)

    with pytest.raises(IllegalTransition):
        obj.transition_to(to, by=clerk, reason="trying")

    assert obj.status == frm
    obj.refresh_from_db()
    assert obj.status == frm
    assert not StatusChange.objects.for_object(obj).exists()


@pytest.mark.django_db
def test_a_move_to_an_unknown_status_raises():
    order = OrderFactory()
    with pytest.raises(IllegalTransition):
        order.transition_to("teleported")


@pytest.mark.django_db
def test_the_check_is_made_against_the_stored_status_not_a_stale_copy(clerk):
    commission = CommissionFactory(status=C.PROVISIONED)
    stale = Commission.objects.get(pk=commission.pk)
    commission.transition_to(C.CANCELLED, by=clerk, reason="sale undone")

    with pytest.raises(IllegalTransition):
        stale.transition_to(C.RELEASED, by=clerk, reason="payment identified")

    commission.refresh_from_db()
    assert commission.status == C.CANCELLED


@pytest.mark.django_db
def test_putting_a_commission_on_hold_needs_a_reason_and_keeps_it(clerk):
    commission = CommissionFactory(status=C.PROVISIONED, sale_type=Commission.SaleType.GOVERNMENT)

    with pytest.raises(ReasonRequired):
        commission.transition_to(C.ON_HOLD, by=clerk, reason="  ")
    commission.refresh_from_db()
    assert commission.status == C.PROVISIONED
    assert not commission.status_history().exists()

    commission.transition_to(C.ON_HOLD, by=clerk, reason="government sale: compliance")
    commission.refresh_from_db()
    assert commission.status == C.ON_HOLD
    assert commission.hold_reason == "government sale: compliance"


@pytest.mark.django_db
def test_refusing_a_service_invoice_needs_a_reason_and_keeps_it(clerk):
    invoice = make_service_invoice(N.IN_ANALYSIS)

    with pytest.raises(ReasonRequired):
        invoice.transition_to(N.REFUSED, by=clerk)
    invoice.refresh_from_db()
    assert invoice.status == N.IN_ANALYSIS

    invoice.transition_to(N.REFUSED, by=clerk, reason="CNPJ do tomador errado")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.reason) == (N.REFUSED, "CNPJ do tomador errado")


@pytest.mark.django_db
def test_refusing_a_request_needs_a_reason(clerk):
    request = CommissionRequestFactory(status=R.SENT)
    with pytest.raises(ReasonRequired):
        request.transition_to(R.REFUSED, by=clerk)
    request.transition_to(R.REFUSED, by=clerk, reason="NF value differs from the total")
    assert request.status_history().get().reason == "NF value differs from the total"


@pytest.mark.django_db
def test_commission_goes_back_to_released_when_its_nf_is_rejected(clerk, alice):
    commission = CommissionFactory(status=C.PROVISIONED)

    commission.transition_to(C.RELEASED, reason="payment identified")
    commission.transition_to(C.REQUESTED, by=alice.user, reason="request #1")
    commission.transition_to(C.IN_ANALYSIS, by=clerk, reason="NF received")
    commission.transition_to(C.RELEASED, by=clerk, reason="NF rejected: wrong CNPJ")
    # Released again, it can be requested with a new NF and go all the way.
    commission.transition_to(C.REQUESTED, by=alice.user, reason="request #2")
    commission.transition_to(C.IN_ANALYSIS, by=clerk, reason="NF received")
    commission.transition_to(C.APPROVED, by=clerk, reason="NF ok")
    commission.transition_to(C.PAID, by=clerk, reason="paid")

    history = list(commission.status_history())
    assert [(h.from_status, h.to_status) for h in history] == [
        (C.PROVISIONED, C.RELEASED),
        (C.RELEASED, C.REQUESTED),
        (C.REQUESTED, C.IN_ANALYSIS),
        (C.IN_ANALYSIS, C.RELEASED),
        (C.RELEASED, C.REQUESTED),
        (C.REQUESTED, C.IN_ANALYSIS),
        (C.IN_ANALYSIS, C.APPROVED),
        (C.APPROVED, C.PAID),
    ]
    assert history[0].changed_by is None  # the ERP import moves it, not a person
    assert history[3].reason == "NF rejected: wrong CNPJ"
    assert history[3].changed_by == clerk


@pytest.mark.django_db
def test_a_request_cancelled_before_analysis_sends_its_commission_back_to_released(alice):
    commission = CommissionFactory(status=C.REQUESTED)
    commission.transition_to(C.RELEASED, by=alice.user, reason="request cancelled")
    commission.refresh_from_db()
    assert commission.status == C.RELEASED


@pytest.mark.django_db
def test_an_approved_commission_cannot_go_back_to_released(clerk):
    commission = CommissionFactory(status=C.APPROVED)
    with pytest.raises(IllegalTransition):
        commission.transition_to(C.RELEASED, by=clerk, reason="NF rejected")


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_people_making_the_same_move_at_once_only_one_wins():
    commission = CommissionFactory(status=C.RELEASED)
    first_user, second_user = UserFactory(), UserFactory()

    def move(user, reason):
        def run():
            commission_now = Commission.objects.get(pk=commission.pk)
            return commission_now.transition_to(C.REQUESTED, by=user, reason=reason)

        return run

    results = at_once(move(first_user, "first"), move(second_user, "second"))

    assert isinstance(results["first"], StatusChange), results["first"]
    assert isinstance(results["second"], IllegalTransition), results["second"]
    commission.refresh_from_db()
    assert commission.status == C.REQUESTED
    [change] = StatusChange.objects.for_object(commission)
    assert change.changed_by == first_user

"""The demo's service invoices (nfreport/demo.py), built by `manage.py demo_data`."""

import pytest

from commissions.models import CommissionRequest
from nfreport.models import ServiceInvoice
from tests.demo.helpers import assert_valid_pdf, demo_data

RStatus = CommissionRequest.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_every_sent_request_has_its_nfse_in_its_status_with_a_pdf():
    demo_data(orders=200)

    assert ServiceInvoice.objects.filter(status=ServiceInvoice.Status.PAID).exists()
    unsent = [RStatus.AWAITING_NF, RStatus.CANCELLED]
    assert not ServiceInvoice.objects.filter(request__status__in=unsent).exists()
    for request in CommissionRequest.objects.exclude(status__in=unsent):
        (invoice,) = request.service_invoices.all()
        assert (invoice.status, invoice.amount) == (request.status, request.total)
        assert bool(invoice.reason) == (invoice.status == ServiceInvoice.Status.REFUSED)
        assert [c.to_status for c in invoice.status_history()][0] == ServiceInvoice.Status.SENT
        with invoice.pdf.open("rb") as f:
            assert_valid_pdf(f.read(), invoice.number)
    numbers = ServiceInvoice.objects.filter(request__reseller__code="M000000000LL")
    assert sorted(int(n) for n in numbers.values_list("number", flat=True))[0] == 1185

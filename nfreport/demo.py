"""The demo's service invoices: the last step of `manage.py demo_data`.

Each commission request that got as far as being sent has the reseller's NFS-e, with its PDF,
and the NFS-e's history follows its request's. Reads `requests` from the context
(commissions/demo.py).
"""

from django.utils import timezone

from accounts.demo import demo_resellers, reseller
from commissions.demo import REFUSAL_REASON, RStatus
from nfreport.models import ServiceInvoice
from portal import cnpj
from portal.demokit import (
    Step,
    brl,
    delete_files,
    delete_history,
    format_date,
    insert_dated,
    minimal_pdf,
    save_files,
    stored_files,
)

# Each reseller numbers its NFS-e in its own sequence; the demo's start here.
NFSE_START = {"A": 1184, "B": 342}


def build(ctx):
    service_invoices, files = [], []
    numbers = dict(NFSE_START)
    for request in ctx.requests:
        if RStatus.SENT not in request.path:
            continue
        numbers[request.reseller] += 1
        invoice = service_invoice(ctx, request, str(numbers[request.reseller]))
        if ctx.files:
            pdf = nfse_pdf(reseller(request.reseller), invoice)
            files.append((invoice, "pdf", f"NFSe-{invoice.number}.pdf", pdf))
        service_invoices.append(invoice)
    save_files(files)
    insert_dated(ServiceInvoice, service_invoices, "sent_at")
    ctx.counts["service invoices"] = len(service_invoices)
    ctx.history.write()


def service_invoice(ctx, request, number):
    """The NFS-e of a sent request, in its request's status; records its history."""
    path, moments, status = request.path, request.moments, request.status
    invoice = ServiceInvoice(
        request=request.obj,
        number=number,
        series="1",
        amount=request.obj.total,
        status=status,
        reason=REFUSAL_REASON if status == RStatus.REFUSED else "",
    )
    invoice.sent_at = moments[RStatus.SENT][0]
    path = path[path.index(RStatus.SENT) :]
    for frm, to in zip(("", *path), path, strict=False):
        reason = invoice.reason if to == RStatus.REFUSED else ""
        ctx.history.record(invoice, frm, to, *moments[to], reason=reason)
    return invoice


def nfse_pdf(spec, invoice):
    company = invoice.request.company
    return minimal_pdf(
        [
            "NFS-e - Nota Fiscal de Serviços Eletrônica",
            f"Número {invoice.number}   Série {invoice.series}   "
            f"Emissão {format_date(timezone.localdate(invoice.sent_at))}",
            f"Prestador: {spec.name}   CNPJ {cnpj.format_cnpj(spec.cnpj)}",
            f"Tomador: {company.legal_name}   CNPJ {cnpj.format_cnpj(company.cnpj)}",
            "Serviço: intermediação de negócios (comissão sobre faturamento direto)",
            f"Valor dos serviços: {brl(invoice.amount)}",
        ]
    )


def wipe(ctx):
    """Deletes the demo resellers' service invoices, with their history and files."""
    service_invoices = ServiceInvoice.objects.filter(request__reseller__in=demo_resellers())
    delete_history(service_invoices)
    files = stored_files(service_invoices, "pdf", "xml")
    service_invoices.delete()
    delete_files(files)


step = Step(build=build, wipe=wipe)

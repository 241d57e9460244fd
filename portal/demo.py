"""Transitional: the service invoices of the demo data set, until nfreport/demo.py has them."""

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

NFSE_START = {"A": 1184, "B": 342}


def build(ctx):
    service_invoices, files = [], []
    nfse_number = dict(NFSE_START)
    for request in ctx.requests:
        path, moments, status = request.path, request.moments, request.status
        if RStatus.SENT not in path:
            continue
        nfse_number[request.reseller] += 1
        invoice = ServiceInvoice(
            request=request.obj,
            number=str(nfse_number[request.reseller]),
            series="1",
            amount=request.obj.total,
            status=status,
            reason=REFUSAL_REASON if status == RStatus.REFUSED else "",
        )
        invoice.sent_at = moments[RStatus.SENT][0]
        si_path = path[path.index(RStatus.SENT) :]
        for frm, to in zip(("", *si_path), si_path, strict=False):
            reason = invoice.reason if to == RStatus.REFUSED else ""
            ctx.history.record(invoice, frm, to, *moments[to], reason=reason)
        if ctx.files:
            pdf = nfse_pdf(reseller(request.reseller), invoice)
            files.append((invoice, "pdf", f"NFSe-{invoice.number}.pdf", pdf))
        service_invoices.append(invoice)
    save_files(files)
    insert_dated(ServiceInvoice, service_invoices, "sent_at")
    ctx.counts["service invoices"] = len(service_invoices)
    ctx.history.write()


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
    service_invoices = ServiceInvoice.objects.filter(request__reseller__in=demo_resellers())
    delete_history(service_invoices)
    files = stored_files(service_invoices, "pdf", "xml")
    service_invoices.delete()
    delete_files(files)


step = Step(build=build, wipe=wipe)

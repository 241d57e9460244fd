"""The demo data set behind `manage.py demo_data` (issue 2 §6).

Two resellers, thousands of orders in every status, invoices with real files, installments and
commissions across the three companies. Every random choice comes from `random.Random` seeded per
section, and every date is counted back from "today": the same day always gives the same data set,
and the dashboards always show recent activity. Nothing depends on the calendar, so the mix of
statuses is the same whatever the day.

The e-commerce users live in the local store; as in production, portal users appear at their
first login. The exceptions are the collaborators who "have logged in before" (pedidos@ and a few
colleagues), so the permissions an admin granted them are there already.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from accounts.demo import (
    RESELLERS,
    demo_accounts,
    demo_resellers,
)
from commissions.models import (
    Commission,
    CommissionMonth,
    CommissionRequest,
    CommissionTotal,
    Installment,
)
from nfreport.models import ServiceInvoice
from orders.models import (
    Customer,
    Delivery,
    Order,
)
from portal import cnpj
from portal.demokit import (
    BATCH,
    CENT,
    DAY,
    HISTORY_DAYS,
    Step,
    brl,
    delete_files,
    delete_history,
    format_date,
    insert_dated,
    minimal_pdf,
    save_files,
    stored_files,
    unreferenced,
)

# Net commission = margin − the sale's taxes; the demo uses one flat tax rate for the taxes.
NET_OF_TAXES = Decimal("0.8547")
HOLD_REASON = "Venda para órgão público: aguardando aprovação do compliance."
COMPLIANCE_OK = "Aprovada pelo compliance."
REFUSAL_REASON = "O tomador da NFS-e não é a companhia IMT (CNPJ 06.241.557/0001-09)."
CANCEL_REASON = "Solicitação cancelada pela revenda."
REVERSAL_REASON = "Estorno: mercadoria devolvida pelo cliente."
RELEASE_REASON = "Pagamento do cliente identificado."
RETURN_REASON = "Mercadoria devolvida pelo destinatário."

OrderStatus = Order.Status
DeliveryStatus = Delivery.Status
CStatus = Commission.Status
RStatus = CommissionRequest.Status
SaleType = Commission.SaleType


# Transitional: these move to the steps that use them.
NFSE_START = {"A": 1184, "B": 342}


# Where the reseller's monthly commission requests stand, by how many months ago they were made.
# Handed out in company order (IMB, IMT, BRLINK); older requests are all paid.
LATEST_REQUESTS = (
    (RStatus.IN_ANALYSIS, RStatus.SENT, RStatus.AWAITING_NF),
    (RStatus.APPROVED, RStatus.PAID, RStatus.PAID),
)
REQUEST_TO_COMMISSION = {
    RStatus.AWAITING_NF: CStatus.REQUESTED,
    RStatus.SENT: CStatus.REQUESTED,
    RStatus.IN_ANALYSIS: CStatus.IN_ANALYSIS,
    RStatus.APPROVED: CStatus.APPROVED,
    RStatus.PAID: CStatus.PAID,
}
REQUEST_PATHS = {
    RStatus.AWAITING_NF: (RStatus.AWAITING_NF,),
    RStatus.SENT: (RStatus.AWAITING_NF, RStatus.SENT),
    RStatus.IN_ANALYSIS: (RStatus.AWAITING_NF, RStatus.SENT, RStatus.IN_ANALYSIS),
    RStatus.APPROVED: (RStatus.AWAITING_NF, RStatus.SENT, RStatus.IN_ANALYSIS, RStatus.APPROVED),
    RStatus.PAID: (
        RStatus.AWAITING_NF,
        RStatus.SENT,
        RStatus.IN_ANALYSIS,
        RStatus.APPROVED,
        RStatus.PAID,
    ),
    RStatus.REFUSED: (RStatus.AWAITING_NF, RStatus.SENT, RStatus.IN_ANALYSIS, RStatus.REFUSED),
    RStatus.CANCELLED: (RStatus.AWAITING_NF, RStatus.CANCELLED),
}
# Requests whose commissions went back to released: (companies in order of preference, final
# status, days ago).
SENT_BACK = {
    "A": (
        (("IMT", "IMB", "BRLINK"), RStatus.REFUSED, 20),
        (("BRLINK", "IMB", "IMT"), RStatus.CANCELLED, 9),
    )
}

# -- plans: what gets built, decided in memory before anything is written -------------------------


@dataclass
class CommissionPlan:
    reseller: str
    installment: Installment
    commission: Commission


class Builder:
    """Plans the data set in memory, then writes it table by table with bulk inserts."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.orders_a = max(ctx.size, 20)
        self.orders_b = max(ctx.size // 8, 20)
        self.today = ctx.today
        self.files = ctx.files
        self.counts = ctx.counts
        self.rng, self.day, self.at, self.clip = ctx.rng, ctx.day, ctx.at, ctx.clip
        self.record = ctx.history.record

    def build(self):
        self.companies = self.ctx.companies
        self.resellers, self.accounts = self.ctx.resellers, self.ctx.accounts
        self.people = {"staff": self.ctx.staff, **self.ctx.users}
        self.orders, self.invoiced = self.ctx.orders, self.ctx.invoiced
        self.build_installments()
        self.build_requests()
        self.ctx.history.write()
        account_ids = [a.pk for accounts in self.accounts.values() for a in accounts]
        CommissionMonth.objects.refresh(account_ids)
        CommissionTotal.objects.refresh(account_ids)
        return self.counts

    # -- installments and commissions -------------------------------------------------------------

    def build_installments(self):
        rng = self.rng("installments")
        staff = self.people["staff"]
        self.commission_plans = []
        for plan in self.invoiced:
            government = plan.customer.is_government
            count = 1
            if not government and plan.total >= 2000:
                count = rng.choices((1, 2, 3, 4), (45, 25, 22, 8))[0]
            share = (plan.total / count).quantize(CENT, rounding=ROUND_DOWN)
            rate = Decimal(rng.randint(250, 700)) / 10000
            # Compliance signs off a public sale within about two and a half months.
            on_hold = government and (self.today - plan.issued).days < 75
            for n in range(1, count + 1):
                amount = share if n < count else plan.total - share * (count - 1)
                due = plan.issued + dt.timedelta(days=30 * n)
                paid = None if plan.invoiced_then_cancelled else self._paid_on(rng, plan, due)
                installment = Installment(
                    invoice_number=plan.invoice.number,
                    number=n,
                    company=plan.company,
                    account=plan.account,
                    customer=plan.customer.obj,
                    order=plan.obj,
                    issue_date=plan.issued,
                    due_date=due,
                    amount=amount,
                    paid_date=paid,
                    paid_amount=amount if paid else None,
                )
                if plan.invoiced_then_cancelled:
                    status = CStatus.CANCELLED
                elif on_hold:
                    status = CStatus.ON_HOLD
                elif paid:
                    status = CStatus.RELEASED
                else:
                    status = CStatus.PROVISIONED
                commission = Commission(
                    issue_date=plan.issued,
                    due_date=due,
                    installment_paid_date=paid,
                    account=plan.account,
                    company=plan.company,
                    net_amount=(amount * rate * NET_OF_TAXES).quantize(CENT),
                    sale_type=SaleType.GOVERNMENT if government else SaleType.PRIVATE,
                    status=status,
                    hold_reason=HOLD_REASON if on_hold else "",
                )
                self.commission_plans.append(CommissionPlan(plan.reseller, installment, commission))
                if on_hold:
                    when = self.at(plan.issued, 20)
                    self.record(commission, CStatus.PROVISIONED, status, when, reason=HOLD_REASON)
                elif government and n == 1:
                    when = self.at(self.clip(plan.issued + 60 * DAY), 11)
                    frm, to = CStatus.ON_HOLD, CStatus.RELEASED if paid else CStatus.PROVISIONED
                    self.record(commission, frm, to, when, by=staff, reason=COMPLIANCE_OK)
                elif status == CStatus.RELEASED:
                    # The ERP's payment file of the next morning releases it.
                    when = self.at(self.clip(paid + DAY), 7)
                    reason = RELEASE_REASON
                    self.record(commission, CStatus.PROVISIONED, status, when, reason=reason)
        Installment.objects.bulk_create(
            [c.installment for c in self.commission_plans], batch_size=BATCH
        )
        for c in self.commission_plans:
            c.commission.installment = c.installment
        self.counts["installments"] = len(self.commission_plans)

    def _paid_on(self, rng, plan, due):
        overdue = (self.today - due).days
        if overdue > 0 and rng.random() < (0.995 if overdue > 90 else 0.9):
            paid = due + dt.timedelta(days=rng.randint(-5, 6))
        elif overdue <= 0 and rng.random() < 0.1:
            paid = plan.issued + dt.timedelta(days=rng.randint(5, 25))
        else:
            return None  # not due yet, or past due and unpaid
        return max(plan.issued, self.clip(paid))

    def build_requests(self):
        """Monthly payment requests per company, one refused and one cancelled, reversals."""
        rng = self.rng("requests")
        planned = []  # (spec, requester, company code, commission plans, day, status)
        for spec in RESELLERS:
            requester = self.people[f"financeiro@revenda-{spec.key.lower()}.example"]
            mine = {
                code: [
                    c
                    for c in self.commission_plans
                    if c.reseller == spec.key and c.installment.company_id == company.pk
                ]
                for code, company in self.companies.items()
            }
            # Requests whose commissions went back to released, because the NF was refused or the
            # reseller cancelled before sending it. Picked first, so the monthly requests below
            # cannot take every candidate.
            sent_back = set()
            for companies, status, days_ago in SENT_BACK.get(spec.key, ()):
                day = self.day(days_ago)
                for code in companies:
                    back = [
                        c
                        for c in mine[code]
                        if c.commission.status == CStatus.RELEASED
                        and c.installment.paid_date < day
                        and id(c) not in sent_back
                    ][:3]
                    if back:
                        sent_back.update(id(c) for c in back)
                        planned.append((spec, requester, code, back, day, status))
                        break
            for k in range(HISTORY_DAYS // 30, -1, -1):
                day = self.day(12 + 30 * k)
                # The latest request asks for fewer: some commissions wait for the next one.
                keep = 0.7 if k == 0 else 0.9
                groups = []
                for code in ("IMB", "IMT", "BRLINK"):
                    chosen = [
                        c
                        for c in mine[code]
                        if c.commission.status == CStatus.RELEASED
                        and c.installment.paid_date < day
                        and id(c) not in sent_back
                        and rng.random() < keep
                    ]
                    if chosen:
                        groups.append((code, chosen))
                statuses = LATEST_REQUESTS[k] if k < len(LATEST_REQUESTS) else ()
                # A small data set may miss a company in a month: split the biggest request,
                # so every status still shows.
                while groups and len(groups) < len(statuses):
                    i = max(range(len(groups)), key=lambda j: len(groups[j][1]))
                    code, chosen = groups[i]
                    if len(chosen) < 2:
                        break
                    half = len(chosen) // 2
                    groups[i : i + 1] = [(code, chosen[:half]), (code, chosen[half:])]
                for i, (code, chosen) in enumerate(groups):
                    status = statuses[i] if i < len(statuses) else RStatus.PAID
                    for c in chosen:
                        c.commission.status = REQUEST_TO_COMMISSION[status]
                    planned.append((spec, requester, code, chosen, day, status))

        requests = [
            CommissionRequest(
                reseller=self.resellers[spec.key],
                company=self.companies[code],
                created_by=requester,
                created_at=self.at(day, 9, 15),
                total=sum((c.commission.net_amount for c in chosen), Decimal("0.00")),
                status=status,
            )
            for spec, requester, code, chosen, day, status in planned
        ]
        insert_dated(CommissionRequest, requests, "created_at")
        service_invoices, files = [], []
        payment_document = 5_100_041_200
        nfse_number = dict(NFSE_START)
        for request, (spec, requester, _, chosen, day, status) in zip(
            requests, planned, strict=True
        ):
            moments = self._request_moments(request, requester, day)
            path = REQUEST_PATHS[status]
            for frm, to in zip(("", *path), path, strict=False):
                reason = REFUSAL_REASON if to == RStatus.REFUSED else ""
                self.record(request, frm, to, *moments[to], reason=reason)
            payment_document += rng.randint(3, 60)
            for c in chosen:
                if status in (RStatus.REFUSED, RStatus.CANCELLED):
                    reason = REFUSAL_REASON if status == RStatus.REFUSED else CANCEL_REASON
                    self.record(c.commission, CStatus.RELEASED, CStatus.REQUESTED, *moments[""])
                    self.record(
                        c.commission,
                        CStatus.REQUESTED,
                        CStatus.RELEASED,
                        *moments[status],
                        reason=reason,
                    )
                    continue
                c.commission.request = request
                before = CStatus.RELEASED
                for step in path:  # the commission follows its request
                    if (after := REQUEST_TO_COMMISSION[step]) != before:
                        self.record(c.commission, before, after, *moments[step])
                        before = after
                if status == RStatus.PAID:
                    c.commission.payment_date = moments[RStatus.PAID][0].date()
                    c.commission.payment_document = str(payment_document)
            if RStatus.SENT in path:
                nfse_number[spec.key] += 1
                invoice = ServiceInvoice(
                    request=request,
                    number=str(nfse_number[spec.key]),
                    series="1",
                    amount=request.total,
                    status=status,
                    reason=REFUSAL_REASON if status == RStatus.REFUSED else "",
                )
                invoice.sent_at = moments[RStatus.SENT][0]
                si_path = path[path.index(RStatus.SENT) :]
                for frm, to in zip(("", *si_path), si_path, strict=False):
                    reason = invoice.reason if to == RStatus.REFUSED else ""
                    self.record(invoice, frm, to, *moments[to], reason=reason)
                if self.files:
                    pdf = self._nfse_pdf(spec, invoice)
                    files.append((invoice, "pdf", f"NFSe-{invoice.number}.pdf", pdf))
                service_invoices.append(invoice)
        save_files(files)
        insert_dated(ServiceInvoice, service_invoices, "sent_at")
        self._reverse_a_few(rng)
        Commission.objects.bulk_create(
            [c.commission for c in self.commission_plans], batch_size=BATCH
        )
        self.counts["commissions"] = len(self.commission_plans)
        self.counts["commission requests"] = len(requests)
        self.counts["service invoices"] = len(service_invoices)

    def _request_moments(self, request, requester, day):
        staff = self.people["staff"]
        return {
            "": (request.created_at, requester),
            RStatus.AWAITING_NF: (request.created_at, requester),
            RStatus.SENT: (self.at(day + 2 * DAY, 10, 30), requester),
            RStatus.IN_ANALYSIS: (self.at(day + 5 * DAY, 14), staff),
            RStatus.APPROVED: (self.at(day + 10 * DAY, 16), staff),
            RStatus.PAID: (self.at(self.clip(day + 25 * DAY), 11), staff),
            RStatus.REFUSED: (self.at(day + 6 * DAY, 15), staff),
            RStatus.CANCELLED: (self.at(day, 17, 40), requester),
        }

    def _reverse_a_few(self, rng):
        """Goods returned after the commission was released, or even paid."""
        candidates = [
            c
            for c in self.commission_plans
            if c.commission.status in (CStatus.RELEASED, CStatus.PAID)
        ]
        for c in rng.sample(candidates, min(len(candidates), max(1, len(candidates) // 80))):
            commission = c.commission
            before, commission.status = commission.status, CStatus.REVERSED
            # A reversal is a negative line, netted against the reseller's later requests.
            commission.net_amount = -commission.net_amount
            since = commission.payment_date or c.installment.paid_date
            when = self.at(self.clip(since + 12 * DAY), 10)
            by = self.people["staff"]
            self.record(commission, before, CStatus.REVERSED, when, by=by, reason=REVERSAL_REASON)

    @staticmethod
    def _nfse_pdf(spec, invoice):
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


def wipe():
    """Deletes the demo resellers' commissions, requests and service invoices, with their files
    and history, and the customers only their installments referred to."""
    resellers = demo_resellers()
    accounts = demo_accounts()
    requests = CommissionRequest.objects.filter(reseller__in=resellers)
    service_invoices = ServiceInvoice.objects.filter(request__in=requests)
    commissions = Commission.objects.filter(account__in=accounts)
    installments = Installment.objects.filter(account__in=accounts)
    for queryset in (commissions, requests, service_invoices, installments):
        delete_history(queryset)
    files = stored_files(service_invoices, "pdf", "xml")
    customers = set(installments.values_list("customer_id", flat=True))

    service_invoices.delete()
    commissions.delete()
    requests.delete()
    installments.delete()
    unreferenced(Customer.objects.filter(pk__in=customers)).delete()
    delete_files(files)


def _build(ctx):
    Builder(ctx).build()


step = Step(
    build=_build,
    wipe=lambda ctx: wipe(),
)

"""The demo's commissions: two steps of `manage.py demo_data`.

The first, before orders/demo.py, finds the billing companies that issue the orders' NF-e and
leaves them in the context as `companies` ({code: Company}).

The second, after orders/demo.py, gives each NF-e its installments and each installment its
commission, in every status; makes each reseller's monthly payment requests (one refused and one
cancelled among them), which the commissions follow; reverses a few; and records the history of
all of them. It reads `resellers`, `accounts`, `staff`, `users` and `invoiced` from the context
and leaves in it `requests` (every RequestPlan, in the order they were made).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from accounts.demo import demo_accounts, demo_resellers
from commissions.models import (
    Commission,
    CommissionMonth,
    CommissionRequest,
    CommissionTotal,
    Company,
    Installment,
    copied_from,
)
from orders.models import Customer
from portal.demokit import (
    CENT,
    DAY,
    HISTORY_DAYS,
    DemoError,
    Step,
    delete_history,
    insert,
    insert_dated,
    unreferenced,
)

CStatus = Commission.Status
RStatus = CommissionRequest.Status
SaleType = Commission.SaleType

# The billing companies, in the order the monthly requests go through them.
COMPANIES = ("IMB", "IMT", "BRLINK")
# Net commission = margin − the sale's taxes; the demo uses one flat tax rate for the taxes.
NET_OF_TAXES = Decimal("0.8547")
HOLD_REASON = "Venda para órgão público: aguardando aprovação do compliance."
COMPLIANCE_OK = "Aprovada pelo compliance."
REFUSAL_REASON = "O tomador da NFS-e não é a companhia IMT (CNPJ 06.241.557/0001-09)."
CANCEL_REASON = "Solicitação cancelada pela revenda."
REVERSAL_REASON = "Estorno: mercadoria devolvida pelo cliente."
RELEASE_REASON = "Pagamento do cliente identificado."

# Who makes each reseller's requests: its finance colleague (collaborators/demo.py).
REQUESTERS = {"A": "financeiro@revenda-a.example", "B": "financeiro@revenda-b.example"}
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


@dataclass
class CommissionPlan:
    reseller: str  # the reseller's key in accounts/demo.py's RESELLERS
    installment: Installment
    commission: Commission


@dataclass
class RequestPlan:
    reseller: str
    requester: object  # the User who made it
    company: str
    commissions: list  # the CommissionPlans it asks for
    day: dt.date
    status: str
    obj: CommissionRequest | None = None
    moments: dict | None = None  # {status: (when, by whom)}, for the request and its NFS-e

    @property
    def path(self):
        return REQUEST_PATHS[self.status]


# -- the billing companies ------------------------------------------------------------------------


def find_companies(ctx):
    ctx.companies = {c.code: c for c in Company.objects.all()}
    missing = set(COMPANIES) - set(ctx.companies)
    if missing:
        raise DemoError(f"Companies missing (run migrate first): {', '.join(sorted(missing))}")


companies_step = Step(build=find_companies)


# -- installments, commissions and requests -------------------------------------------------------


def build(ctx):
    plans = build_installments(ctx)
    rng = ctx.rng("requests")
    requests = plan_requests(ctx, rng, plans)
    write_requests(ctx, rng, requests)
    reverse_a_few(ctx, rng, plans)
    insert(Commission, [c.commission for c in plans])
    ctx.requests = requests
    ctx.counts["commissions"] = len(plans)
    ctx.counts["commission requests"] = len(requests)
    ctx.history.write()
    # Written in bulk, past the models' hooks: the rollups are counted again from the rows.
    account_ids = [a.pk for accounts in ctx.accounts.values() for a in accounts]
    CommissionMonth.objects.refresh(account_ids)
    CommissionTotal.objects.refresh(account_ids)


def build_installments(ctx):
    rng = ctx.rng("installments")
    plans = []
    for order in ctx.invoiced:
        plans += plan_installments(ctx, rng, order)
    insert(Installment, [c.installment for c in plans])
    for c in plans:
        c.commission.installment = c.installment
    ctx.counts["installments"] = len(plans)
    return plans


def plan_installments(ctx, rng, order):
    """The installments of an order's NF-e, each with its commission."""
    government = order.customer.is_government
    count = 1
    if not government and order.total >= 2000:
        count = rng.choices((1, 2, 3, 4), (45, 25, 22, 8))[0]
    share = (order.total / count).quantize(CENT, rounding=ROUND_DOWN)
    rate = Decimal(rng.randint(250, 700)) / 10000
    # Compliance signs off a public sale within about two and a half months.
    on_hold = government and (ctx.today - order.issued).days < 75
    plans = []
    for n in range(1, count + 1):
        amount = share if n < count else order.total - share * (count - 1)
        due = order.issued + dt.timedelta(days=30 * n)
        paid = None if order.invoiced_then_cancelled else paid_on(ctx, rng, order, due)
        installment = Installment(
            invoice_number=order.invoice.number,
            number=n,
            company=order.company,
            account=order.account,
            customer=order.customer.obj,
            order=order.obj,
            issue_date=order.issued,
            due_date=due,
            amount=amount,
            paid_date=paid,
            paid_amount=amount if paid else None,
        )
        commission = Commission(
            # Its copies of the installment's dates, as Commission.save would make them.
            **copied_from(installment),
            account=order.account,
            company=order.company,
            net_amount=(amount * rate * NET_OF_TAXES).quantize(CENT),
            sale_type=SaleType.GOVERNMENT if government else SaleType.PRIVATE,
            status=commission_status(order, on_hold, paid),
            hold_reason=HOLD_REASON if on_hold else "",
        )
        plans.append(CommissionPlan(order.reseller, installment, commission))
        record_release(ctx, commission, order, n, on_hold)
    return plans


def paid_on(ctx, rng, order, due):
    overdue = (ctx.today - due).days
    if overdue > 0 and rng.random() < (0.995 if overdue > 90 else 0.9):
        paid = due + dt.timedelta(days=rng.randint(-5, 6))
    elif overdue <= 0 and rng.random() < 0.1:
        paid = order.issued + dt.timedelta(days=rng.randint(5, 25))
    else:
        return None  # not due yet, or past due and unpaid
    return max(order.issued, ctx.clip(paid))


def commission_status(order, on_hold, paid):
    if order.invoiced_then_cancelled:
        return CStatus.CANCELLED
    if on_hold:
        return CStatus.ON_HOLD
    if paid:
        return CStatus.RELEASED
    return CStatus.PROVISIONED


def record_release(ctx, commission, order, n, on_hold):
    """The commission's moves before any request: on hold, compliance, the payment."""
    status, paid = commission.status, commission.installment_paid_date
    if on_hold:
        when = ctx.at(order.issued, 20)
        ctx.history.record(commission, CStatus.PROVISIONED, status, when, reason=HOLD_REASON)
    elif order.customer.is_government and n == 1:
        when = ctx.at(ctx.clip(order.issued + 60 * DAY), 11)
        frm, to = CStatus.ON_HOLD, CStatus.RELEASED if paid else CStatus.PROVISIONED
        ctx.history.record(commission, frm, to, when, by=ctx.staff, reason=COMPLIANCE_OK)
    elif status == CStatus.RELEASED:
        # The ERP's payment file of the next morning releases it.
        when = ctx.at(ctx.clip(paid + DAY), 7)
        ctx.history.record(commission, CStatus.PROVISIONED, status, when, reason=RELEASE_REASON)


def plan_requests(ctx, rng, plans):
    """Each reseller's requests: first the two sent back, then one a month per company."""
    requests = []
    for reseller in ctx.resellers:
        requester = ctx.users[REQUESTERS[reseller]]
        mine = {
            code: [
                c
                for c in plans
                if c.reseller == reseller and c.installment.company_id == company.pk
            ]
            for code, company in ctx.companies.items()
        }
        # Picked first, so the monthly requests cannot take every candidate.
        sent_back = plan_sent_back(ctx, reseller, requester, mine)
        taken = {id(c) for request in sent_back for c in request.commissions}
        requests += sent_back
        for k in range(HISTORY_DAYS // 30, -1, -1):
            requests += plan_month(ctx, rng, k, reseller, requester, mine, taken)
    return requests


def plan_sent_back(ctx, reseller, requester, mine):
    """Requests whose commissions went back to released, because the NF was refused or the
    reseller cancelled before sending it."""
    requests, taken = [], set()
    for companies, status, days_ago in SENT_BACK.get(reseller, ()):
        day = ctx.day(days_ago)
        for code in companies:
            back = [
                c
                for c in mine[code]
                if c.commission.status == CStatus.RELEASED
                and c.installment.paid_date < day
                and id(c) not in taken
            ][:3]
            if back:
                taken.update(id(c) for c in back)
                requests.append(RequestPlan(reseller, requester, code, back, day, status))
                break
    return requests


def plan_month(ctx, rng, k, reseller, requester, mine, taken):
    """The requests of `k` months ago: one per company with released commissions."""
    day = ctx.day(12 + 30 * k)
    # The latest request asks for fewer: some commissions wait for the next one.
    keep = 0.7 if k == 0 else 0.9
    groups = []
    for code in COMPANIES:
        chosen = [
            c
            for c in mine[code]
            if c.commission.status == CStatus.RELEASED
            and c.installment.paid_date < day
            and id(c) not in taken
            and rng.random() < keep
        ]
        if chosen:
            groups.append((code, chosen))
    statuses = LATEST_REQUESTS[k] if k < len(LATEST_REQUESTS) else ()
    split_biggest(groups, len(statuses))
    requests = []
    for i, (code, chosen) in enumerate(groups):
        status = statuses[i] if i < len(statuses) else RStatus.PAID
        for c in chosen:
            c.commission.status = REQUEST_TO_COMMISSION[status]
        requests.append(RequestPlan(reseller, requester, code, chosen, day, status))
    return requests


def split_biggest(groups, wanted):
    """A small data set may miss a company in a month: splits the biggest request until there
    are `wanted`, so every status still shows."""
    while groups and len(groups) < wanted:
        i = max(range(len(groups)), key=lambda j: len(groups[j][1]))
        code, chosen = groups[i]
        if len(chosen) < 2:
            break
        half = len(chosen) // 2
        groups[i : i + 1] = [(code, chosen[:half]), (code, chosen[half:])]


def write_requests(ctx, rng, requests):
    """Writes the requests and records their history and their commissions'."""
    objs = [
        CommissionRequest(
            reseller=ctx.resellers[r.reseller],
            company=ctx.companies[r.company],
            created_by=r.requester,
            created_at=ctx.at(r.day, 9, 15),
            total=sum((c.commission.net_amount for c in r.commissions), Decimal("0.00")),
            status=r.status,
        )
        for r in requests
    ]
    insert_dated(CommissionRequest, objs, "created_at")
    payment_document = 5_100_041_200
    for request, obj in zip(requests, objs, strict=True):
        request.obj = obj
        request.moments = request_moments(ctx, obj, request.requester, request.day)
        for frm, to in zip(("", *request.path), request.path, strict=False):
            reason = REFUSAL_REASON if to == RStatus.REFUSED else ""
            ctx.history.record(obj, frm, to, *request.moments[to], reason=reason)
        payment_document += rng.randint(3, 60)
        for c in request.commissions:
            follow_request(ctx, c.commission, request, str(payment_document))


def request_moments(ctx, request, requester, day):
    staff = ctx.staff
    return {
        "": (request.created_at, requester),
        RStatus.AWAITING_NF: (request.created_at, requester),
        RStatus.SENT: (ctx.at(day + 2 * DAY, 10, 30), requester),
        RStatus.IN_ANALYSIS: (ctx.at(day + 5 * DAY, 14), staff),
        RStatus.APPROVED: (ctx.at(day + 10 * DAY, 16), staff),
        RStatus.PAID: (ctx.at(ctx.clip(day + 25 * DAY), 11), staff),
        RStatus.REFUSED: (ctx.at(day + 6 * DAY, 15), staff),
        RStatus.CANCELLED: (ctx.at(day, 17, 40), requester),
    }


def follow_request(ctx, commission, request, payment_document):
    """The commission moves with its request; a refused or cancelled one sends it back."""
    moments, status = request.moments, request.status
    if status in (RStatus.REFUSED, RStatus.CANCELLED):
        reason = REFUSAL_REASON if status == RStatus.REFUSED else CANCEL_REASON
        ctx.history.record(commission, CStatus.RELEASED, CStatus.REQUESTED, *moments[""])
        ctx.history.record(
            commission, CStatus.REQUESTED, CStatus.RELEASED, *moments[status], reason=reason
        )
        return
    commission.request = request.obj
    before = CStatus.RELEASED
    for step in request.path:
        if (after := REQUEST_TO_COMMISSION[step]) != before:
            ctx.history.record(commission, before, after, *moments[step])
            before = after
    if status == RStatus.PAID:
        commission.payment_date = moments[RStatus.PAID][0].date()
        commission.payment_document = payment_document


def reverse_a_few(ctx, rng, plans):
    """Goods returned after the commission was released, or even paid."""
    candidates = [c for c in plans if c.commission.status in (CStatus.RELEASED, CStatus.PAID)]
    for c in rng.sample(candidates, min(len(candidates), max(1, len(candidates) // 80))):
        commission = c.commission
        before, commission.status = commission.status, CStatus.REVERSED
        # A reversal is a negative line, netted against the reseller's later requests.
        commission.net_amount = -commission.net_amount
        since = commission.payment_date or c.installment.paid_date
        when = ctx.at(ctx.clip(since + 12 * DAY), 10)
        ctx.history.record(
            commission, before, CStatus.REVERSED, when, by=ctx.staff, reason=REVERSAL_REASON
        )


# -- wipe -----------------------------------------------------------------------------------------


def wipe(ctx):
    """Deletes the demo accounts' commissions and installments and the demo resellers' requests,
    with their history, and the customers that only those installments referred to."""
    accounts = demo_accounts()
    requests = CommissionRequest.objects.filter(reseller__in=demo_resellers())
    commissions = Commission.objects.filter(account__in=accounts)
    installments = Installment.objects.filter(account__in=accounts)
    for queryset in (commissions, requests, installments):
        delete_history(queryset)
    customers = set(installments.values_list("customer_id", flat=True))
    commissions.delete()
    requests.delete()
    installments.delete()
    unreferenced(Customer.objects.filter(pk__in=customers)).delete()


step = Step(build=build, wipe=wipe)

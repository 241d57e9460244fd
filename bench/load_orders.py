"""Loads N orders and N commissions into a fresh PostgreSQL database, fast: PostgreSQL COPY
through psycopg.

The data set looks like production after five years:

- two resellers, the demo's A (three accounts, 88 % of the orders) and B (two accounts);
- about one customer per 25 orders, each reseller with its own, a few popular ones, every eighth a
  public body, and 0.5 % of the orders with no customer ("Customer not found");
- orders created over five years, busier as the business grows (the last year has about three
  times the first year's orders per day) and quieter at weekends, written in creation order as
  a live system would have written them;
- statuses by age: orders still placed, in credit analysis or in backlog are only days old,
  invoiced ones weeks old; almost everything older is completed (93 %) or cancelled (7 %);
- an NF-e for every invoiced and completed order (2 % have a second one), and for the cancelled
  orders that were invoiced and came back; a delivery for most orders past credit analysis
  (licences and services ship nothing), in transit while invoiced. Each order carries its
  delivery's status (Order.delivery_status, "" without one).

Installments and commissions (one commission per installment, N of each, N = the orders by
default) follow the same five years and the same growth and weekends, by issue date:

- the same resellers, accounts and customer pools, skewed the same way; the billing company
  (IMB 60 %, IMT 25 %, BRLINK 15 %) names the invoice through its prefix; most invoices have one
  installment, private ones of R$ 2,000 or more often 2–4, due 30, 60, 90, 120 days after issue;
- the customers pay about 97 % of the installments around their due date, a few percent weeks
  late (so the last two months have overdue ones) and 0.3 % never (their commission is cancelled
  after 90 days);
- a commission is provisioned until its installment is paid, on hold while a public body's sale
  waits for compliance (75 days), released the morning after the payment, requested, in analysis
  and approved in the weeks after, and paid about 40 days after the customer paid; 1 % of the
  released or paid ones are reversed (a negative amount, as in the demo);
- the monthly rollups (CommissionMonth, CommissionTotal) are computed from these rows.

Order lines, tracking events, status history, commission requests and reseller NFs are not
loaded: no measured page reads them. Commissions therefore have no request (request_id is NULL),
and CommissionMonth is counted here rather than by its refresh(), which reads the status history.
Everything is seeded, so a load of N orders and N commissions is the same data set every time
(for a given day).
"""

import datetime as dt
import math
import random
import time
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from accounts.demo import RESELLERS
from accounts.models import Reseller, ResellerAccount
from collaborators.models import Collaborator
from commissions.demo import HOLD_REASON
from commissions.models import Commission, CommissionMonth, Company, Installment
from orders.demo import (
    ACCOUNT_WEIGHTS,
    CARRIERS,
    COMPANY_WEIGHTS,
    FANCY,
    LEGAL_SUFFIXES,
    SAINTS,
    SURNAMES,
)
from orders.models import Carrier, Customer, Delivery, Invoice, Order, OrderMonth
from portal.demokit import make_cnpj, nfe_access_key

ADMIN_A = "admin@revenda-a.example"
ADMIN_B = "admin@revenda-b.example"
YEARS = 5
DAYS = YEARS * 365
SHARE_A = 0.88
CHUNK_DAYS = 60  # orders are written a window of days at a time, with their invoices and deliveries
NO_CUSTOMER = 0.005
SECOND_INVOICE = 0.02
SHIPS_NOTHING = 0.04  # licences and services: invoiced, never shipped

S = Order.Status
D = Delivery.Status
C = Commission.Status
SaleType = Commission.SaleType
CENT = Decimal("0.01")
# Installments per invoice, for private invoices of R$ 2,000 or more; all others have one.
INSTALLMENTS = ((1, 2, 3, 4), (55, 22, 16, 7))
NEVER_PAID = 0.003  # the customer never pays: the commission is cancelled 90 days past due
WRITE_OFF_DAYS = 90
PAID_LATE = 0.027  # the customer pays 7–75 days late
LATE_DAYS = (7, 75)
ON_TIME_DAYS = (-5, 6)  # the others pay around the due date
HOLD_DAYS = 75  # a public body's sale waits this long for compliance after its issue date
REVERSED = 0.01
NET_OF_TAXES = Decimal("0.85")
# (oldest age in days, ((status, weight), ...)): the older the order, the further along.
STATUS_BY_AGE = (
    (3, ((S.PLACED, 55), (S.CREDIT_ANALYSIS, 25), (S.BACKLOG, 15), (S.CANCELLED, 5))),
    (10, ((S.PLACED, 5), (S.CREDIT_ANALYSIS, 10), (S.BACKLOG, 30), (S.INVOICED, 50),
          (S.CANCELLED, 5))),
    (30, ((S.BACKLOG, 6), (S.INVOICED, 44), (S.COMPLETED, 44), (S.CANCELLED, 6))),
    (90, ((S.INVOICED, 3), (S.COMPLETED, 90), (S.CANCELLED, 7))),
    (DAYS, ((S.INVOICED, 0.2), (S.COMPLETED, 92.8), (S.CANCELLED, 7))),
)  # fmt: skip
PRIVATE = (
    "{s} Alimentos", "Construtora {s}", "Transportes {s}", "{f} Logística", "Hospital {t}",
    "Colégio {t}", "{f} Engenharia", "Metalúrgica {f}", "Supermercados {f}", "Farmácias {s}",
    "{f} Agronegócios", "Indústria Têxtil {s}", "Autopeças {f}", "{s} Contabilidade",
    "{f} Energia Solar", "{s} Consultoria em Gestão", "Editora {f}", "Hotel {f}",
    "{f} Materiais Elétricos", "Escola de Idiomas {f}", "{s} & {s2} Advogados Associados",
)  # fmt: skip
GOVERNMENT = (
    "Prefeitura Municipal de {c}", "Câmara Municipal de {c}", "Secretaria de Educação de {c}",
    "Serviço Autônomo de Água e Esgoto de {c}", "Hospital Municipal de {c}",
)  # fmt: skip
CITIES = (
    "São Paulo", "Campinas", "Santos", "Sorocaba", "Ribeirão Preto", "Rio de Janeiro", "Niterói",
    "Belo Horizonte", "Uberlândia", "Juiz de Fora", "Curitiba", "Porto Alegre", "Salvador",
    "Recife", "Fortaleza", "Goiânia", "Vitória", "Manaus", "Florianópolis", "Joinville",
)  # fmt: skip
ORDER_NUMBER_START = 7_000_000_000
INVOICE_NUMBER_START = 100_000
ISSUER_CNPJ = make_cnpj("06241557", 1)


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _copy(cursor, model, columns, rows):
    fields = ", ".join(connection.ops.quote_name(c) for c in columns)
    with cursor.copy(f"COPY {_table(model)} ({fields}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _companies():
    """(index, pk, invoice prefix) of each company in COMPANY_WEIGHTS, in its order."""
    by_code = {c.code: c for c in Company.objects.all()}
    missing = [code for code, _ in COMPANY_WEIGHTS if code not in by_code]
    if missing:
        raise RuntimeError(f"companies missing (data migration?): {', '.join(missing)}")
    return [
        (i, by_code[code].pk, by_code[code].invoice_prefix)
        for i, (code, _) in enumerate(COMPANY_WEIGHTS)
    ]


def _next_id(cursor, model):
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {_table(model)}")
    return cursor.fetchone()[0]


def _reset_sequence(cursor, model):
    table = model._meta.db_table
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
        f"(SELECT COALESCE(MAX(id), 1) FROM {_table(model)}))",
        [table],
    )


class Loader:
    def __init__(self, orders, *, commissions=None, seed=20260601, today=None, log=print):
        self.n_orders = orders
        self.n_commissions = orders if commissions is None else commissions
        self.seed = seed
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.tz = timezone.get_default_timezone()
        self.log = log
        self.counts = {}

    # -- who -------------------------------------------------------------------------------------

    def people(self):
        User = get_user_model()
        self.accounts = {}
        for spec in RESELLERS:
            reseller = Reseller.objects.create(cnpj=spec.cnpj, name=spec.name, code=spec.code)
            self.accounts[spec.key] = [
                (
                    ResellerAccount.objects.create(
                        reseller=reseller,
                        code=a.code,
                        cnpj=make_cnpj(spec.root, a.branch),
                        name=a.name,
                    ),
                    ACCOUNT_WEIGHTS[a.code],
                )
                for a in spec.accounts
            ]
            login = ADMIN_A if spec.key == "A" else ADMIN_B
            user = User.objects.create_user(login, name=f"Admin {spec.key}")
            Collaborator.objects.create(
                user=user,
                reseller=reseller,
                is_admin=True,
                first_access=timezone.now(),
                last_access=timezone.now(),
            )
        self.carriers = [Carrier.objects.get_or_create(name=n)[0].pk for n in CARRIERS]

    def customers(self, cursor):
        rng = self.rng
        total = max(50, self.n_orders // 25)
        next_id = _next_id(cursor, Customer)
        rows = []
        self.pools = {}
        self.government = set()
        for key, share, prefix in (("A", SHARE_A, 1), ("B", 1 - SHARE_A, 2)):
            ids = []
            for i in range(max(12, round(total * share))):
                government = i % 8 == 3
                city = rng.choice(CITIES)
                if government:
                    name = rng.choice(GOVERNMENT).format(c=city)
                else:
                    s, s2 = rng.sample(SURNAMES, 2)
                    name = rng.choice(PRIVATE).format(
                        s=s, s2=s2, f=rng.choice(FANCY), t=rng.choice(SAINTS)
                    )
                    if "Associados" not in name:
                        name = f"{name} {rng.choice(LEGAL_SUFFIXES)}"
                root = f"{prefix}{i:07d}"
                code = f"{prefix}{i:09d}"
                rows.append((next_id, code, make_cnpj(root, 1), name, government))
                if government:
                    self.government.add(next_id)
                ids.append(next_id)
                next_id += 1
            self.pools[key] = ids
        _copy(cursor, Customer, ("id", "code", "cnpj", "name", "is_government"), rows)
        _reset_sequence(cursor, Customer)
        self.counts["customers"] = len(rows)

    # -- when ------------------------------------------------------------------------------------

    def orders_per_day(self):
        """{age in days: orders}: growing business, quiet weekends, exactly n_orders in total."""
        return self.per_day(self.n_orders)

    def per_day(self, n):
        """{age in days: rows}: growing business, quiet weekends, exactly n in total."""
        weights = {}
        for age in range(1, DAYS + 1):
            day = self.today - dt.timedelta(days=age)
            growth = 0.5 + (DAYS - age) / DAYS  # 0.5 five years ago, 1.5 yesterday
            weights[age] = growth * (0.3 if day.weekday() >= 5 else 1.0)
        scale = n / sum(weights.values())
        counts, carry = {}, 0.0
        for age in sorted(weights, reverse=True):  # oldest first
            exact = weights[age] * scale + carry
            counts[age] = int(exact)
            carry = exact - counts[age]
        counts[1] += n - sum(counts.values())
        return counts

    # -- what ------------------------------------------------------------------------------------

    def status(self, age):
        table = next(t for limit, t in STATUS_BY_AGE if age <= limit)
        statuses, weights = zip(*table, strict=True)
        return self.rng.choices(statuses, weights)[0]

    def customer(self, key):
        if self.rng.random() < NO_CUSTOMER:
            return None
        pool = self.pools[key]
        # A few customers buy a lot: the square skews the pick towards the start of the pool.
        return pool[int(len(pool) * self.rng.random() ** 2)]

    def total(self):
        return Decimal(round(math.exp(self.rng.gauss(8.3, 1.1)), 2)).quantize(Decimal("0.01"))

    def load(self):
        from commissions.models import CommissionTotal

        started = time.perf_counter()
        with transaction.atomic():
            self.people()
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:
                self.customers(cursor)
                self.orders(cursor)
                for model in (Order, Invoice, Delivery):
                    _reset_sequence(cursor, model)
                orders_written = time.perf_counter()
                self.log(
                    f"  orders written in {orders_written - started:.0f} s; "
                    f"{self.n_commissions:,} commissions …"
                )
                self.commissions(cursor)
                for model in (Installment, Commission, CommissionMonth):
                    _reset_sequence(cursor, model)
        loaded = time.perf_counter()
        self.log(f"  commissions written in {loaded - orders_written:.0f} s; OrderMonth.refresh …")
        account_ids = [a.pk for accounts in self.accounts.values() for a, _ in accounts]
        with transaction.atomic():
            OrderMonth.objects.refresh(account_ids)
        refreshed = time.perf_counter()
        self.log(f"  OrderMonth refreshed in {refreshed - loaded:.0f} s; CommissionTotal.refresh …")
        with transaction.atomic():
            CommissionTotal.objects.refresh(account_ids)
        totalled = time.perf_counter()
        self.log(f"  CommissionTotal refreshed in {totalled - refreshed:.0f} s; VACUUM ANALYZE …")
        with connection.cursor() as cursor:
            # What autovacuum would have done on a live table: statistics and the visibility map.
            cursor.execute("VACUUM ANALYZE")
        done = time.perf_counter()
        self.counts["order months"] = OrderMonth.objects.count()
        self.counts["commission totals"] = CommissionTotal.objects.count()
        self.timings = {
            "write": loaded - started,
            "write_orders": orders_written - started,
            "write_commissions": loaded - orders_written,
            "refresh": refreshed - loaded,
            "commission_totals": totalled - refreshed,
            "vacuum_analyze": done - totalled,
            "total": done - started,
        }
        return self.counts

    def orders(self, cursor):
        rng = self.rng
        per_day = self.orders_per_day()
        order_id = _next_id(cursor, Order)
        invoice_id = _next_id(cursor, Invoice)
        delivery_id = _next_id(cursor, Delivery)
        number = ORDER_NUMBER_START
        nf_number = INVOICE_NUMBER_START
        yesterday = self.today - dt.timedelta(days=1)
        accounts = {
            key: ([a.pk for a, _ in pairs], [w for _, w in pairs])
            for key, pairs in self.accounts.items()
        }
        n_orders = n_invoices = n_deliveries = 0
        ages = sorted(per_day, reverse=True)
        for start in range(0, len(ages), CHUNK_DAYS):
            orders, invoices, deliveries = [], [], []
            for age in ages[start : start + CHUNK_DAYS]:
                day = self.today - dt.timedelta(days=age)
                midnight = dt.datetime.combine(day, dt.time.min, self.tz)
                seconds = sorted(rng.randint(7 * 3600, 20 * 3600) for _ in range(per_day[age]))
                for second in seconds:
                    key = "A" if rng.random() < SHARE_A else "B"
                    ids, weights = accounts[key]
                    status = self.status(age)
                    created = midnight + dt.timedelta(seconds=second)
                    number += rng.randint(1, 9)  # other distributors' orders in between
                    order = [
                        order_id,
                        rng.choices(ids, weights)[0],
                        str(number),
                        self.customer(key),
                        status,
                        created,
                        self.total(),
                    ]
                    orders.append(order)
                    returned = status == S.CANCELLED and age > 10 and rng.random() < 0.3
                    invoiced = status in (S.INVOICED, S.COMPLETED) or returned
                    issued = None
                    if invoiced:
                        issued = min(day + dt.timedelta(days=rng.randint(1, 4)), yesterday)
                        for _ in range(2 if rng.random() < SECOND_INVOICE else 1):
                            nf_number += 1
                            key44 = nfe_access_key(
                                state_code=35,
                                issued=issued,
                                issuer_cnpj=ISSUER_CNPJ,
                                series=1,
                                number=nf_number,
                                random_code=rng.randint(0, 99_999_999),
                            )
                            invoices.append(
                                (invoice_id, order_id, str(nf_number), "1", issued, key44, "", "")
                            )
                            invoice_id += 1
                    delivery = self.delivery_status(status, returned)
                    order.append(delivery or "")  # Order.delivery_status
                    if delivery is not None:
                        if issued is None:
                            expected = day + dt.timedelta(days=rng.randint(7, 15))
                        else:
                            expected = issued + dt.timedelta(days=rng.randint(2, 10))
                        carrier = rng.choice(self.carriers) if issued else None
                        tracking = f"BR{rng.randint(10**9, 10**10 - 1)}" if issued else ""
                        deliveries.append(
                            (delivery_id, order_id, carrier, delivery, expected, tracking)
                        )
                        delivery_id += 1
                    order_id += 1
            _copy(
                cursor,
                Order,
                (
                    "id",
                    "account_id",
                    "number",
                    "customer_id",
                    "status",
                    "created_at",
                    "total",
                    "delivery_status",
                ),
                orders,
            )
            _copy(
                cursor,
                Invoice,
                ("id", "order_id", "number", "series", "issued_at", "access_key", "pdf", "xml"),
                invoices,
            )
            _copy(
                cursor,
                Delivery,
                ("id", "order_id", "carrier_id", "status", "expected_date", "tracking_code"),
                deliveries,
            )
            n_orders += len(orders)
            n_invoices += len(invoices)
            n_deliveries += len(deliveries)
            if n_orders // 100_000 > (n_orders - len(orders)) // 100_000:
                self.log(f"  … {n_orders:,} orders")
        self.counts.update(orders=n_orders, invoices=n_invoices, deliveries=n_deliveries)

    def delivery_status(self, status, returned):
        rng = self.rng
        if returned:
            return D.RETURNED
        if status in (S.PLACED, S.CREDIT_ANALYSIS) or status == S.CANCELLED:
            return None
        if rng.random() < SHIPS_NOTHING:
            return None
        if status == S.BACKLOG:
            return D.PROCESSING
        if status == S.INVOICED:
            return rng.choices((D.PROCESSING, D.IN_TRANSIT, D.DELIVERED), (20, 70, 10))[0]
        return D.DELIVERED

    # -- installments and commissions ------------------------------------------------------------

    def commissions(self, cursor):
        """N installments and their commissions, issued over the same five years as the orders
        (same growth, same weekends), a window of days at a time; then their CommissionMonth rows.

        No CommissionRequest is written, so request_id stays NULL, and no status history either:
        CommissionMonth is counted here, from the dates this loader decides, not by its refresh().
        """
        rng = random.Random(f"{self.seed}:commissions")  # the orders' data stays as it was
        per_day = self.per_day(self.n_commissions)
        companies = _companies()
        company_weights = [w for _, w in COMPANY_WEIGHTS]
        # Each company numbers its invoices after its prefix; other resellers' fall in between.
        counters = {pk: rng.randint(100_000, 900_000) for _, pk, _ in companies}
        accounts = {
            key: ([a.pk for a, _ in pairs], [w for _, w in pairs])
            for key, pairs in self.accounts.items()
        }
        resellers = {key: i for i, key in enumerate(sorted(self.accounts))}
        first_day = self.today - dt.timedelta(days=DAYS + 1)
        installment_id = _next_id(cursor, Installment)
        commission_id = _next_id(cursor, Commission)
        months = {}  # (account, month, status): commissions released or paid that month
        statuses = {}
        n_rows = 0
        ages = sorted(per_day, reverse=True)
        for start in range(0, len(ages), CHUNK_DAYS):
            installments, commissions = [], []
            for age in ages[start : start + CHUNK_DAYS]:
                issued = self.today - dt.timedelta(days=age)
                left = per_day[age]
                while left:
                    key = "A" if rng.random() < SHARE_A else "B"
                    ids, weights = accounts[key]
                    account = rng.choices(ids, weights)[0]
                    pool = self.pools[key]
                    customer = pool[int(len(pool) * rng.random() ** 2)]  # skewed like orders
                    government = customer in self.government
                    index, company, prefix = rng.choices(companies, company_weights)[0]
                    counters[company] += rng.randint(1, 9)
                    invoice_number = f"{prefix}{counters[company]:07d}"
                    total = Decimal(round(math.exp(rng.gauss(8.3, 1.1)), 2)).quantize(CENT)
                    count = 1
                    if not government and total >= 2000:
                        count = min(rng.choices(*INSTALLMENTS)[0], left)
                    left -= count
                    share = (total / count).quantize(CENT, rounding=ROUND_DOWN)
                    rate = Decimal(rng.randint(250, 700)) / 10000
                    sale_type = SaleType.GOVERNMENT if government else SaleType.PRIVATE
                    for n in range(1, count + 1):
                        amount = share if n < count else total - share * (count - 1)
                        due = issued + dt.timedelta(days=30 * n)
                        paid, never = self.customer_paid(rng, due)
                        status, released, payment = self.commission_state(
                            rng, issued, due, paid, never, government
                        )
                        net = (amount * rate * NET_OF_TAXES).quantize(CENT)
                        document = ""
                        if status == C.REVERSED:
                            net = -net  # a reversal is a negative line, as in the demo
                        if released is not None:
                            month = (account, released.replace(day=1), C.RELEASED)
                            months[month] = months.get(month, 0) + 1
                        if payment is not None:
                            month = (account, payment.replace(day=1), C.PAID)
                            months[month] = months.get(month, 0) + 1
                            # One payment per reseller, company and day, as for one request.
                            slot = (payment - first_day).days * 8 + index * 2 + resellers[key]
                            document = f"PG-{100_000 + slot:06d}"
                        statuses[status] = statuses.get(status, 0) + 1
                        installments.append(
                            (
                                installment_id,
                                invoice_number,
                                n,
                                company,
                                account,
                                customer,
                                issued,
                                due,
                                amount,
                                paid,
                                amount if paid else None,
                            )
                        )
                        commissions.append(
                            (
                                commission_id,
                                installment_id,
                                # Commission's copies of its installment's dates
                                issued,
                                due,
                                paid,
                                account,
                                company,
                                net,
                                sale_type,
                                status,
                                HOLD_REASON if status == C.ON_HOLD else "",
                                payment,
                                document,
                            )
                        )
                        installment_id += 1
                        commission_id += 1
            _copy(
                cursor,
                Installment,
                (
                    "id",
                    "invoice_number",
                    "number",
                    "company_id",
                    "account_id",
                    "customer_id",
                    "issue_date",
                    "due_date",
                    "amount",
                    "paid_date",
                    "paid_amount",
                ),
                installments,
            )
            _copy(
                cursor,
                Commission,
                (
                    "id",
                    "installment_id",
                    "issue_date",
                    "due_date",
                    "installment_paid_date",
                    "account_id",
                    "company_id",
                    "net_amount",
                    "sale_type",
                    "status",
                    "hold_reason",
                    "payment_date",
                    "payment_document",
                ),
                commissions,
            )
            if (n_rows + len(commissions)) // 100_000 > n_rows // 100_000:
                self.log(f"  … {n_rows + len(commissions):,} commissions")
            n_rows += len(commissions)
        CommissionMonth.objects.bulk_create(
            CommissionMonth(account_id=account, month=month, status=status, count=count)
            for (account, month, status), count in sorted(months.items())
        )
        self.commission_statuses = {str(s): n for s, n in sorted(statuses.items())}
        self.counts.update(installments=n_rows, commissions=n_rows)
        self.counts["commission months"] = len(months)

    def customer_paid(self, rng, due):
        """(the day the customer paid the installment, or None; whether it never will)."""
        if due >= self.today:
            return None, False  # not due yet
        draw = rng.random()
        if draw < NEVER_PAID:
            return None, True
        if draw < NEVER_PAID + PAID_LATE:
            paid = due + dt.timedelta(days=rng.randint(*LATE_DAYS))
        else:
            paid = due + dt.timedelta(days=rng.randint(*ON_TIME_DAYS))
        # Not paid yet: past due and unpaid, i.e. overdue, until that day comes.
        return (paid if paid < self.today else None), False

    def commission_state(self, rng, issued, due, paid, never, government):
        """(status, day released, day paid to the reseller) of a commission today.

        The ERP's payment file releases a commission the morning after the customer pays (a
        public body's sale only once compliance approved it, HOLD_DAYS after its issue). The
        reseller requests it about four weeks later; analysis, approval and payment follow, so
        the reseller is paid about 40 days after the customer.
        """
        today = self.today
        if government and (today - issued).days < HOLD_DAYS:
            return C.ON_HOLD, None, None
        if paid is None:
            written_off = never and (today - due).days > WRITE_OFF_DAYS
            return (C.CANCELLED if written_off else C.PROVISIONED), None, None
        released = paid + dt.timedelta(days=1)
        if government:
            released = max(released, issued + dt.timedelta(days=HOLD_DAYS))
        steps = self.request_steps(rng, released)
        reversal = self.reversal(rng, released, payment=steps[-1][1])
        if reversal is not None and reversal[0] < today:
            return C.REVERSED, released, reversal[1]
        for status, day in reversed(steps):
            if day < today:
                return status, released, (day if status == C.PAID else None)
        return C.RELEASED, released, None

    @staticmethod
    def request_steps(rng, released):
        """(status, day) of the request's steps after a release, in order, up to the payment."""
        requested = released + dt.timedelta(days=rng.randint(26, 30))
        analysed = requested + dt.timedelta(days=rng.randint(2, 4))
        approved = analysed + dt.timedelta(days=rng.randint(3, 5))
        payment = approved + dt.timedelta(days=rng.randint(2, 4))
        return [
            (C.REQUESTED, requested),
            (C.IN_ANALYSIS, analysed),
            (C.APPROVED, approved),
            (C.PAID, payment),
        ]

    @staticmethod
    def reversal(rng, released, *, payment):
        """(day reversed, day paid or None) for the few commissions of goods returned, else None:
        reversed while released, or after the reseller was paid."""
        if rng.random() >= REVERSED:
            return None
        if rng.random() < 0.5:
            return released + dt.timedelta(days=rng.randint(1, 20)), None
        return payment + dt.timedelta(days=rng.randint(5, 60)), payment

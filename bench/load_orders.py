"""Loads N orders into a fresh PostgreSQL database, fast: PostgreSQL COPY through psycopg.

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
  (licences and services ship nothing), in transit while invoiced.

Order lines, tracking events and status history are not loaded: no measured page reads them.
Everything is seeded, so a load of N orders is the same data set every time (for a given day).
"""

import datetime as dt
import math
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Reseller, ResellerAccount
from collaborators.models import Collaborator
from orders.models import Carrier, Customer, Delivery, Invoice, Order, OrderMonth
from portal.demo import (
    CARRIERS,
    FANCY,
    LEGAL_SUFFIXES,
    RESELLERS,
    SAINTS,
    SURNAMES,
    make_cnpj,
    nfe_access_key,
)

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
    def __init__(self, orders, *, seed=20260601, today=None, log=print):
        self.n_orders = orders
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
                    a.weight,
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
                ids.append(next_id)
                next_id += 1
            self.pools[key] = ids
        _copy(cursor, Customer, ("id", "code", "cnpj", "name", "is_government"), rows)
        _reset_sequence(cursor, Customer)
        self.counts["customers"] = len(rows)

    # -- when ------------------------------------------------------------------------------------

    def orders_per_day(self):
        """{age in days: orders}: growing business, quiet weekends, exactly n_orders in total."""
        weights = {}
        for age in range(1, DAYS + 1):
            day = self.today - dt.timedelta(days=age)
            growth = 0.5 + (DAYS - age) / DAYS  # 0.5 five years ago, 1.5 yesterday
            weights[age] = growth * (0.3 if day.weekday() >= 5 else 1.0)
        scale = self.n_orders / sum(weights.values())
        counts, carry = {}, 0.0
        for age in sorted(weights, reverse=True):  # oldest first
            exact = weights[age] * scale + carry
            counts[age] = int(exact)
            carry = exact - counts[age]
        counts[1] += self.n_orders - sum(counts.values())
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
        started = time.perf_counter()
        with transaction.atomic():
            self.people()
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:
                self.customers(cursor)
                self.orders(cursor)
                for model in (Order, Invoice, Delivery):
                    _reset_sequence(cursor, model)
        loaded = time.perf_counter()
        self.log(f"  rows written in {loaded - started:.0f} s; OrderMonth.refresh …")
        account_ids = [a.pk for accounts in self.accounts.values() for a, _ in accounts]
        with transaction.atomic():
            OrderMonth.objects.refresh(account_ids)
        refreshed = time.perf_counter()
        self.log(f"  OrderMonth refreshed in {refreshed - loaded:.0f} s; VACUUM ANALYZE …")
        with connection.cursor() as cursor:
            # What autovacuum would have done on a live table: statistics and the visibility map.
            cursor.execute("VACUUM ANALYZE")
        done = time.perf_counter()
        self.counts["order months"] = OrderMonth.objects.count()
        self.timings = {
            "write": loaded - started,
            "refresh": refreshed - loaded,
            "vacuum_analyze": done - refreshed,
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
                    orders.append(
                        (
                            order_id,
                            rng.choices(ids, weights)[0],
                            str(number),
                            self.customer(key),
                            status,
                            created,
                            self.total(),
                        )
                    )
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
                ("id", "account_id", "number", "customer_id", "status", "created_at", "total"),
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

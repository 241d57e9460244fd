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
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from xml.sax.saxutils import escape

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.demo import (
    RESELLERS,
    ResellerSpec,
    demo_accounts,
    demo_resellers,
)
from accounts.models import Reseller, ResellerAccount
from commissions.models import (
    Commission,
    CommissionMonth,
    CommissionRequest,
    CommissionTotal,
    Company,
    Installment,
)
from nfreport.models import ServiceInvoice
from orders.models import (
    Carrier,
    Customer,
    Delivery,
    DeliveryEvent,
    Invoice,
    Order,
    OrderLine,
    OrderMonth,
)
from portal import cnpj
from portal.demokit import (
    BATCH,
    CENT,
    DAY,
    HISTORY_DAYS,
    HOURS_1,
    HOURS_3,
    DemoError,
    Step,
    brl,
    cents,
    delete_files,
    format_date,
    insert_dated,
    make_cnpj,
    minimal_pdf,
    nfe_access_key,
    save_files,
)
from portal.models import StatusChange

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
ACCOUNT_WEIGHTS = {
    "M000000000LL": 55,
    "M000000017LL": 30,
    "M000000023LL": 15,
    "M000000000BB": 70,
    "M000000031BB": 30,
}
HOME_STATES = {"A": ("SP", "RJ"), "B": ("MG",)}
NFSE_START = {"A": 1184, "B": 342}


# (SKU, description, unit price in cents, minimum and maximum quantity)
PRODUCTS = (
    ("NB-DEL-L3440", 'Notebook Dell Latitude 3440 Core i5 16GB SSD 512GB 14"', 649900, 1, 25),
    ("NB-LEN-T14G4", "Notebook Lenovo ThinkPad T14 Gen 4 Core i7 32GB SSD 1TB", 1189000, 1, 15),
    ("NB-HP-440G10", "Notebook HP ProBook 440 G10 Core i5 8GB SSD 256GB", 529000, 1, 30),
    ("NB-APL-MBA13", 'MacBook Air 13" chip M3 8GB SSD 256GB', 1049900, 1, 8),
    ("DT-DEL-7010", "Desktop Dell OptiPlex 7010 SFF Core i5 16GB SSD 512GB", 579000, 1, 40),
    ("DT-LEN-M70Q", "Desktop Lenovo ThinkCentre M70q Tiny Core i5 8GB SSD 256GB", 435000, 1, 40),
    ("MN-DEL-P2423", 'Monitor Dell 24" P2423H Full HD IPS', 139000, 1, 60),
    ("MN-LG-27UL", 'Monitor LG 27" 4K UHD 27UL550', 219000, 1, 20),
    ("SRV-DEL-R650", "Servidor Dell PowerEdge R650xs Xeon Silver 64GB 2x SSD 960GB", 6890000, 1, 3),
    ("SRV-HPE-DL380", "Servidor HPE ProLiant DL380 Gen11 Xeon Gold 128GB", 9450000, 1, 2),
    ("STO-SYN-923", "Storage NAS Synology DS923+ 4 baias", 699000, 1, 4),
    ("HD-SEA-8TB", "Disco rígido Seagate IronWolf 8TB para NAS", 145000, 2, 16),
    ("SSD-KIN-1TB", "SSD Kingston NV2 1TB NVMe M.2", 38900, 2, 50),
    ("MEM-KIN-16", "Memória Kingston 16GB DDR4 3200MHz", 27900, 2, 50),
    ("SW-CIS-9200", "Switch Cisco Catalyst C9200L 48 portas PoE+", 3240000, 1, 4),
    ("SW-ARU-6000", "Switch HPE Aruba 6000 24G 4SFP", 785000, 1, 6),
    ("AP-UBI-U6PRO", "Access point Ubiquiti UniFi U6 Pro Wi-Fi 6", 159000, 1, 30),
    ("FW-FOR-60F", "Firewall Fortinet FortiGate 60F com licença UTP 1 ano", 987000, 1, 3),
    ("RT-MIK-4011", "Roteador MikroTik RB4011iGS+RM", 169000, 1, 5),
    ("TB-SAM-A9P", "Tablet Samsung Galaxy Tab A9+ 64GB Wi-Fi", 129900, 1, 50),
    ("SP-SAM-A55", "Smartphone Samsung Galaxy A55 5G 128GB", 239900, 1, 50),
    ("IMP-HP-M428", "Impressora multifuncional HP LaserJet Pro M428fdw", 369000, 1, 10),
    ("IMP-EPS-L6270", "Impressora Epson EcoTank L6270 tanque de tinta", 198000, 1, 10),
    ("ACC-DEL-WD19S", "Dock station USB-C Dell WD19S 130W", 129000, 1, 30),
    ("PER-LOG-MK270", "Kit teclado e mouse sem fio Logitech MK270", 14900, 5, 100),
    ("PER-LOG-C920S", "Webcam Logitech C920s Full HD", 46900, 1, 40),
    ("PER-JAB-EV240", "Headset Jabra Evolve2 40 USB-C", 79000, 1, 40),
    ("ACC-TAR-MOC15", 'Mochila para notebook 15,6" Targus', 25900, 1, 40),
    ("NB-APC-1500", "Nobreak APC Back-UPS 1500VA 220V", 235000, 1, 10),
    ("CAB-FUR-CAT6", "Cabo de rede Furukawa Cat6 caixa 305m", 119000, 1, 10),
    ("RCK-44U-1000", 'Rack fechado 44U padrão 19" 1000mm', 560000, 1, 2),
    ("LIC-MS-365BP", "Licença Microsoft 365 Business Premium anual (por usuário)", 132000, 5, 200),
    ("LIC-MS-W11P", "Licença Windows 11 Pro OEM", 109000, 1, 50),
    ("LIC-MS-SQLSTD", "Licença Microsoft SQL Server 2022 Standard 2 núcleos", 1980000, 1, 4),
    ("LIC-VMW-VSPH", "Assinatura VMware vSphere Standard 1 ano (por núcleo)", 69000, 16, 64),
    ("LIC-ADB-ACRO", "Assinatura Adobe Acrobat Pro anual (por usuário)", 98000, 1, 50),
    (
        "LIC-KAS-EDR",
        "Kaspersky Endpoint Detection and Response anual (por dispositivo)",
        21000,
        10,
        300,
    ),
    ("SRV-INST-ONS", "Serviço de instalação e configuração on-site", 180000, 1, 5),
    ("GAR-DEL-PS3", "Extensão de garantia Dell ProSupport 3 anos", 89000, 1, 25),
    ("CLD-AZ-1000", "Créditos Microsoft Azure (pacote R$ 1.000,00)", 100000, 1, 30),
)

CITIES = (
    ("São Paulo", "SP"),
    ("Campinas", "SP"),
    ("Santos", "SP"),
    ("Sorocaba", "SP"),
    ("Ribeirão Preto", "SP"),
    ("São José dos Campos", "SP"),
    ("Rio de Janeiro", "RJ"),
    ("Niterói", "RJ"),
    ("Petrópolis", "RJ"),
    ("Belo Horizonte", "MG"),
    ("Uberlândia", "MG"),
    ("Juiz de Fora", "MG"),
    ("Contagem", "MG"),
    ("Curitiba", "PR"),
    ("Londrina", "PR"),
    ("Porto Alegre", "RS"),
    ("Caxias do Sul", "RS"),
    ("Florianópolis", "SC"),
    ("Joinville", "SC"),
    ("Salvador", "BA"),
    ("Recife", "PE"),
    ("Fortaleza", "CE"),
    ("Goiânia", "GO"),
    ("Vitória", "ES"),
    ("Manaus", "AM"),
)
STATES = {
    "SP": "de São Paulo",
    "RJ": "do Rio de Janeiro",
    "MG": "de Minas Gerais",
    "PR": "do Paraná",
    "RS": "do Rio Grande do Sul",
    "SC": "de Santa Catarina",
    "BA": "da Bahia",
    "PE": "de Pernambuco",
    "CE": "do Ceará",
    "GO": "de Goiás",
    "ES": "do Espírito Santo",
    "AM": "do Amazonas",
}
SURNAMES = (
    "Almeida", "Ferreira", "Oliveira", "Souza", "Pereira", "Carvalho", "Ribeiro", "Rodrigues",
    "Martins", "Barbosa", "Cardoso", "Teixeira", "Moreira", "Nogueira", "Mendes", "Cavalcanti",
    "Albuquerque", "Monteiro", "Rezende", "Siqueira", "Vasconcelos", "Brandão", "Queiroz",
    "Prado", "Toledo", "Salles", "Guimarães", "Coutinho", "Batista", "Figueiredo",
)  # fmt: skip
FANCY = (
    "Horizonte", "Nova Era", "Vale Verde", "Atlântico", "Pioneira", "Ipê Amarelo", "Jequitibá",
    "Aroeira", "Cruzeiro do Sul", "Serra Dourada", "Estrela Guia", "Tupã", "Paranapanema",
    "Itapuã", "Mantiqueira", "Pantanal", "Boa Vista", "Primavera", "Planalto", "Rio Claro",
    "Sete Lagoas", "Alvorada", "Litoral", "Vitória Régia", "Guarani", "Araucária",
)  # fmt: skip
SAINTS = (
    "São Lucas", "Santa Clara", "São José", "Santa Mônica", "Nossa Senhora Aparecida",
    "São Francisco", "Santa Luzia", "São Bento", "Santa Rita", "São Camilo",
)  # fmt: skip
PRIVATE_NAMES = (
    "{s} Alimentos", "Construtora {s}", "Transportes {s}", "{f} Logística",
    "Hospital {t}", "Colégio {t}", "{f} Engenharia", "Metalúrgica {f}",
    "{s} & {s2} Advogados Associados", "Laboratório {f} de Análises Clínicas",
    "Supermercados {f}", "Farmácias {s}", "{f} Agronegócios",
    "Indústria Têxtil {s}", "Autopeças {f}", "Distribuidora de Bebidas {f}",
    "Cooperativa Agroindustrial {f}", "{s} Contabilidade", "Clínica Odontológica {t}",
    "{f} Energia Solar", "{s} Consultoria em Gestão", "Editora {f}", "Hotel {f}",
    "{f} Materiais Elétricos", "{s} & {s2} Arquitetura", "Escola de Idiomas {f}",
)  # fmt: skip
LEGAL_SUFFIXES = ("Ltda.", "Ltda.", "Ltda.", "S.A.")
GOVERNMENT_NAMES = (
    "Prefeitura Municipal de {city}", "Câmara Municipal de {city}",
    "Secretaria Municipal de Educação de {city}", "Serviço Autônomo de Água e Esgoto de {city}",
    "Tribunal de Justiça do Estado {state}", "Secretaria de Estado da Saúde {state}",
    "Universidade Federal {state}", "Instituto Federal {state}",
    "Departamento Estadual de Trânsito {state}", "Defensoria Pública do Estado {state}",
)  # fmt: skip

CARRIERS = (
    "Jadlog",
    "Correios SEDEX",
    "TNT Mercúrio",
    "Braspress",
    "Total Express",
    "Patrus Transportes",
    "Rodonaves",
    "Azul Cargo Express",
)
DISPATCH_FROM = "Barueri/SP"

# The billing company of each end-customer invoice, and how often it bills.
COMPANY_WEIGHTS = (("IMB", 60), ("IMT", 25), ("BRLINK", 15))
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

# The order statuses by the order's age in days: the older, the further along.
STATUS_BY_AGE = (
    (3, ((OrderStatus.PLACED, 55), (OrderStatus.CREDIT_ANALYSIS, 25), (OrderStatus.BACKLOG, 15),
         (OrderStatus.CANCELLED, 5))),
    (10, ((OrderStatus.PLACED, 5), (OrderStatus.CREDIT_ANALYSIS, 10), (OrderStatus.BACKLOG, 30),
          (OrderStatus.INVOICED, 50), (OrderStatus.CANCELLED, 5))),
    (30, ((OrderStatus.BACKLOG, 6), (OrderStatus.INVOICED, 44), (OrderStatus.COMPLETED, 44),
          (OrderStatus.CANCELLED, 6))),
    (HISTORY_DAYS, ((OrderStatus.INVOICED, 1), (OrderStatus.COMPLETED, 92),
                    (OrderStatus.CANCELLED, 7))),
)  # fmt: skip
# Each reseller's first orders: (status, age in days, delivery status, government customer),
# so even a small data set shows every order and delivery status.
SHOWCASE = (
    (OrderStatus.PLACED, 1, None, False),
    (OrderStatus.CREDIT_ANALYSIS, 2, None, False),
    (OrderStatus.BACKLOG, 4, DeliveryStatus.PROCESSING, False),
    (OrderStatus.INVOICED, 5, DeliveryStatus.PROCESSING, False),
    (OrderStatus.INVOICED, 8, DeliveryStatus.IN_TRANSIT, True),
    (OrderStatus.COMPLETED, 26, DeliveryStatus.DELIVERED, False),
    (OrderStatus.CANCELLED, 3, None, False),
    (OrderStatus.CANCELLED, 24, DeliveryStatus.RETURNED, False),
)


# -- plans: what gets built, decided in memory before anything is written -------------------------


@dataclass
class CustomerPlan:
    code: str
    cnpj: str
    name: str
    city: str
    state: str
    is_government: bool
    obj: Customer | None = None


@dataclass
class OrderPlan:
    reseller: ResellerSpec
    account: ResellerAccount
    customer: CustomerPlan
    age: int
    created_at: dt.datetime
    status: str
    lines: list = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    invoiced_then_cancelled: bool = False
    delivery_status: str | None = None
    company: Company | None = None
    issued: dt.date | None = None
    finished_at: dt.datetime | None = None  # when the delivery ended: delivered or returned
    obj: Order | None = None
    invoice: Invoice | None = None


@dataclass
class CommissionPlan:
    reseller: ResellerSpec
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
        self.companies = {c.code: c for c in Company.objects.all()}
        missing = {code for code, _ in COMPANY_WEIGHTS} - set(self.companies)
        if missing:
            raise DemoError(f"Companies missing (run migrate first): {', '.join(sorted(missing))}")
        self.resellers, self.accounts = self.ctx.resellers, self.ctx.accounts
        self.people = {"staff": self.ctx.staff, **self.ctx.users}
        self.build_customers()
        self.build_orders()
        self.build_invoices()
        self.build_deliveries()
        self.build_installments()
        self.build_requests()
        self.build_history()
        account_ids = [a.pk for accounts in self.accounts.values() for a in accounts]
        OrderMonth.objects.refresh(account_ids)
        CommissionMonth.objects.refresh(account_ids)
        CommissionTotal.objects.refresh(account_ids)
        return self.counts

    # -- who --------------------------------------------------------------------------------------

    def build_customers(self):
        rng = self.rng("customers")
        self.customers = {}
        names, roots = set(), set()
        code = 104_000
        for spec, n_orders in zip(RESELLERS, (self.orders_a, self.orders_b), strict=True):
            plans = []
            for i in range(max(12, n_orders // 25)):
                # Every eighth customer is a public body: those sales wait for compliance.
                government = i % 8 == 3
                name, city, state = self._customer_name(rng, spec, government, names)
                root = f"{rng.randint(1_000_000, 99_999_999):08d}"
                while root in roots:
                    root = f"{rng.randint(1_000_000, 99_999_999):08d}"
                roots.add(root)
                code += rng.randint(1, 9)
                branch = 1 if government or rng.random() < 0.8 else rng.randint(2, 9)
                plans.append(
                    CustomerPlan(
                        code=f"{code:010d}",
                        cnpj=make_cnpj(root, branch),
                        name=name,
                        city=city,
                        state=state,
                        is_government=government,
                    )
                )
            self.customers[spec.key] = plans
        every = [p for plans in self.customers.values() for p in plans]
        existing = Customer.objects.in_bulk([p.code for p in every], field_name="code")
        created = Customer.objects.bulk_create(
            [
                Customer(code=p.code, cnpj=p.cnpj, name=p.name, is_government=p.is_government)
                for p in every
                if p.code not in existing
            ],
            batch_size=BATCH,
        )
        by_code = {**existing, **{c.code: c for c in created}}
        for plan in every:
            plan.obj = by_code[plan.code]
        self.counts["customers"] = len(every)

    @staticmethod
    def _customer_name(rng, spec, government, taken):
        home = [c for c in CITIES if c[1] in HOME_STATES[spec.key]]
        while True:
            city, state = rng.choice(home if rng.random() < 0.7 else CITIES)
            if government:
                name = rng.choice(GOVERNMENT_NAMES).format(city=city, state=STATES[state])
            else:
                s, s2 = rng.sample(SURNAMES, 2)
                template = rng.choice(PRIVATE_NAMES)
                name = template.format(s=s, s2=s2, f=rng.choice(FANCY), t=rng.choice(SAINTS))
                if "Associados" not in name and not name.startswith("Cooperativa"):
                    name = f"{name} {rng.choice(LEGAL_SUFFIXES)}"
            if name not in taken:
                taken.add(name)
                return name, city, state

    # -- orders -----------------------------------------------------------------------------------

    def build_orders(self):
        rng = self.rng("orders")
        plans = []
        for spec, n in zip(RESELLERS, (self.orders_a, self.orders_b), strict=True):
            accounts = self.accounts[spec.key]
            weights = [ACCOUNT_WEIGHTS[a.code] for a in spec.accounts]
            customers = self.customers[spec.key]
            pools = {
                False: [c for c in customers if not c.is_government],
                True: [c for c in customers if c.is_government],
            }
            for i in range(n):
                if i < len(SHOWCASE):
                    status, age, delivery, government = SHOWCASE[i]
                    account, customer = accounts[0], rng.choice(pools[government])
                else:
                    age = self._order_age(rng)
                    status = self._order_status(rng, age)
                    account = rng.choices(accounts, weights)[0]
                    customer = rng.choice(customers)
                    delivery = self._delivery_status(rng, status, age)
                created = self.at(self.day(age), rng.randint(8, 19), rng.randint(0, 59))
                plan = OrderPlan(spec, account, customer, age, created, status)
                plan.delivery_status = delivery
                plan.invoiced_then_cancelled = delivery == DeliveryStatus.RETURNED
                self._order_lines(rng, plan)
                plans.append(plan)
        # The distributor numbers every order in one sequence, other resellers' in between.
        plans.sort(key=lambda p: (p.created_at, p.account.code, p.total))
        number = 7_104_512_000
        for plan in plans:
            number += rng.randint(1, 40)
            plan.obj = Order(
                account=plan.account,
                number=str(number),
                customer=plan.customer.obj,
                status=plan.status,
                created_at=plan.created_at,
                total=plan.total,
            )
        Order.objects.bulk_create([p.obj for p in plans], batch_size=BATCH)
        OrderLine.objects.bulk_create(
            (
                OrderLine(
                    order=p.obj, line_number=n, sku=sku, description=d, quantity=q, unit_price=u
                )
                for p in plans
                for n, (sku, d, q, u) in enumerate(p.lines, start=1)
            ),
            batch_size=BATCH,
        )
        self.orders = plans
        self.counts["orders"] = len(plans)
        self.counts["order lines"] = sum(len(p.lines) for p in plans)

    @staticmethod
    def _order_age(rng):
        # Steady business over fifteen months, plus a busier last two months.
        if rng.random() < 0.75:
            return rng.randint(1, HISTORY_DAYS)
        return int(rng.triangular(1, 60, 1))

    @staticmethod
    def _order_status(rng, age):
        table = next(t for limit, t in STATUS_BY_AGE if age <= limit)
        statuses, weights = zip(*table, strict=True)
        return rng.choices(statuses, weights)[0]

    @staticmethod
    def _delivery_status(rng, status, age):
        if status == OrderStatus.BACKLOG:
            return DeliveryStatus.PROCESSING
        if status == OrderStatus.INVOICED:
            return DeliveryStatus.PROCESSING if rng.random() < 0.25 else DeliveryStatus.IN_TRANSIT
        if status == OrderStatus.COMPLETED:
            return DeliveryStatus.DELIVERED
        if status == OrderStatus.CANCELLED and age > 10 and rng.random() < 0.3:
            # Invoiced and shipped, then refused by the customer and cancelled.
            return DeliveryStatus.RETURNED
        return None

    @staticmethod
    def _order_lines(rng, plan):
        count = rng.choices((1, 2, 3, 4, 5), (40, 25, 15, 12, 8))[0]
        total = Decimal("0.00")
        for sku, description, price, low, high in rng.sample(PRODUCTS, count):
            # Most lines ask for a few units; now and then a big rollout.
            quantity = Decimal(low + int((high - low) * rng.random() ** 3))
            unit_price = cents(price * rng.randint(92, 108) // 100)
            plan.lines.append((sku, description, quantity, unit_price))
            total += quantity * unit_price
        plan.total = total.quantize(CENT)

    # -- invoices and their files -----------------------------------------------------------------

    def build_invoices(self):
        rng = self.rng("invoices")
        invoiced = [
            p
            for p in self.orders
            if p.status in (OrderStatus.INVOICED, OrderStatus.COMPLETED)
            or p.invoiced_then_cancelled
        ]
        codes, weights = zip(*COMPANY_WEIGHTS, strict=True)
        for plan in invoiced:
            plan.company = self.companies[rng.choices(codes, weights)[0]]
            plan.issued = self.clip(plan.created_at.date() + dt.timedelta(days=rng.randint(1, 4)))
        invoiced.sort(key=lambda p: (p.issued, p.obj.number))
        # Each company numbers its NF-e from its prefix; other resellers' NF-e fall in between.
        counters = {
            code: int(company.invoice_prefix) * 10**7 + rng.randint(100_000, 900_000)
            for code, company in self.companies.items()
        }
        invoices, files = [], []
        for plan in invoiced:
            counters[plan.company.code] += rng.randint(1, 25)
            number, series = str(counters[plan.company.code]), "1"
            key = nfe_access_key(
                state_code="35",
                issued=plan.issued,
                issuer_cnpj=plan.company.cnpj,
                series=series,
                number=number,
                random_code=rng.randint(0, 99_999_999),
            )
            invoice = Invoice(
                order=plan.obj, number=number, series=series, issued_at=plan.issued, access_key=key
            )
            plan.invoice = invoice
            if self.files:
                files.append((invoice, "pdf", f"DANFE-{number}.pdf", self._danfe(plan)))
                files.append((invoice, "xml", f"NFe-{number}.xml", self._nfe_xml(plan)))
            invoices.append(invoice)
        save_files(files)
        Invoice.objects.bulk_create(invoices, batch_size=BATCH)
        self.invoiced = invoiced
        self.counts["invoices"] = len(invoices)
        self.counts["invoice files"] = 2 * len(invoices) if self.files else 0

    @staticmethod
    def _danfe(plan):
        invoice, company, customer = plan.invoice, plan.company, plan.customer
        return minimal_pdf(
            [
                "DANFE - Documento Auxiliar da Nota Fiscal Eletrônica",
                f"NF-e nº {invoice.number}   Série {invoice.series}   "
                f"Emissão {format_date(invoice.issued_at)}",
                f"Chave de acesso: {invoice.access_key}",
                f"Emitente: {company.legal_name}   CNPJ {cnpj.format_cnpj(company.cnpj)}",
                f"Destinatário: {customer.name}   CNPJ {cnpj.format_cnpj(customer.cnpj)}",
                f"Pedido {plan.obj.number}",
                "",
                *(
                    f"{sku}  {description[:60]}  {quantity:.0f} x {brl(unit_price)}"
                    for sku, description, quantity, unit_price in plan.lines
                ),
                "",
                f"Valor total da nota: {brl(plan.total)}",
            ]
        )

    def _nfe_xml(self, plan):
        invoice, company, customer = plan.invoice, plan.company, plan.customer
        items = "".join(
            f'<det nItem="{n}"><prod><cProd>{escape(sku)}</cProd>'
            f"<xProd>{escape(description)}</xProd><qCom>{quantity:.4f}</qCom>"
            f"<vUnCom>{unit_price:.2f}</vUnCom><vProd>{quantity * unit_price:.2f}</vProd>"
            "</prod></det>"
            for n, (sku, description, quantity, unit_price) in enumerate(plan.lines, start=1)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<nfeProc xmlns="http://www.portalfiscal.inf.br/nfe" versao="4.00">'
            f'<NFe><infNFe Id="NFe{invoice.access_key}" versao="4.00">'
            f"<ide><cUF>35</cUF><mod>55</mod><serie>{invoice.series}</serie>"
            f"<nNF>{invoice.number}</nNF>"
            f"<dhEmi>{self.at(invoice.issued_at, 10).isoformat()}</dhEmi></ide>"
            f"<emit><CNPJ>{company.cnpj}</CNPJ><xNome>{escape(company.legal_name)}</xNome></emit>"
            f"<dest><CNPJ>{customer.cnpj}</CNPJ><xNome>{escape(customer.name)}</xNome></dest>"
            f"{items}<total><ICMSTot><vNF>{plan.total:.2f}</vNF></ICMSTot></total>"
            "</infNFe></NFe>"
            f'<protNFe versao="4.00"><infProt><chNFe>{invoice.access_key}</chNFe>'
            "<cStat>100</cStat><xMotivo>Autorizado o uso da NF-e</xMotivo></infProt></protNFe>"
            "</nfeProc>\n"
        ).encode()

    # -- deliveries -------------------------------------------------------------------------------

    def build_deliveries(self):
        rng = self.rng("deliveries")
        carriers = [Carrier.objects.get_or_create(name=name)[0] for name in CARRIERS]
        deliveries = []  # (delivery, its events)
        for plan in self.orders:
            status = plan.delivery_status
            if status is None:
                continue
            near = plan.customer.state in ("SP", "RJ", "MG")
            lead = rng.randint(2, 5) if near else rng.randint(4, 12)
            if plan.issued is None:
                # Backlog: waiting for stock, no carrier yet.
                expected = plan.created_at.date() + dt.timedelta(days=lead + rng.randint(3, 10))
                deliveries.append((Delivery(order=plan.obj, expected_date=expected), []))
                continue
            carrier = rng.choice(carriers)
            events = self._events(rng, plan, lead)
            if status in (DeliveryStatus.DELIVERED, DeliveryStatus.RETURNED):
                plan.finished_at = events[-1].occurred_at
            delivery = Delivery(
                order=plan.obj,
                carrier=carrier,
                status=status,
                # Some shipments run late: the expected date passes while still in transit.
                expected_date=plan.issued + dt.timedelta(days=lead + rng.randint(0, 2)),
                tracking_code=self._tracking_code(rng, carrier),
            )
            deliveries.append((delivery, events))
        Delivery.objects.bulk_create([d for d, _ in deliveries], batch_size=BATCH)
        Order.objects.filter(delivery__isnull=False).sync_delivery_status()
        events = []
        for delivery, mine in deliveries:
            for event in mine:
                event.delivery = delivery
                events.append(event)
        DeliveryEvent.objects.bulk_create(events, batch_size=BATCH)
        self.counts["deliveries"] = len(deliveries)
        self.counts["tracking events"] = len(events)

    def _events(self, rng, plan, lead):
        status, issued = plan.delivery_status, plan.issued
        destination = f"{plan.customer.city}/{plan.customer.state}"
        timeline = [
            (issued, 9, "Nota fiscal emitida", DISPATCH_FROM),
            (issued, 14, "Pedido em separação no centro de distribuição", DISPATCH_FROM),
        ]
        if status != DeliveryStatus.PROCESSING:
            shipped = issued + dt.timedelta(days=rng.randint(0, 1))
            arrival = shipped + dt.timedelta(days=max(1, lead - 1))
            timeline += [
                (shipped, 18, "Coletado pela transportadora", DISPATCH_FROM),
                (shipped + DAY, 6, "Em trânsito para a unidade de destino", ""),
                (arrival, 7, "Chegou à unidade de distribuição", destination),
            ]
        if status == DeliveryStatus.DELIVERED:
            done = arrival + dt.timedelta(days=rng.randint(0, 2))
            timeline += [
                (done, 8, "Saiu para entrega ao destinatário", destination),
                (done, 15, "Entregue ao destinatário", destination),
            ]
        elif status == DeliveryStatus.RETURNED:
            timeline += [
                (arrival + DAY, 11, "Destinatário ausente", destination),
                (arrival + 2 * DAY, 16, "Entrega recusada pelo destinatário", destination),
                (arrival + 3 * DAY, 10, "Devolvido ao remetente", DISPATCH_FROM),
            ]
        # A story that would reach past yesterday is squeezed into yesterday, in order.
        events, last = [], None
        for day, hour, description, location in timeline:
            when = self.at(self.clip(day), hour)
            if last is not None and when <= last:
                when = last + dt.timedelta(minutes=37)
            events.append(
                DeliveryEvent(occurred_at=when, description=description, location=location)
            )
            last = when
        return events

    @staticmethod
    def _tracking_code(rng, carrier):
        if carrier.name.startswith("Correios"):
            return f"Q{rng.choice('BCDE')}{rng.randint(0, 999_999_999):09d}BR"
        prefix = "".join(word[0] for word in carrier.name.split()).upper()
        return f"{prefix}{rng.randint(0, 10**12 - 1):012d}"

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
                    if c.reseller is spec and c.installment.company_id == company.pk
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

    # -- history ----------------------------------------------------------------------------------

    def build_history(self):
        """The last month's orders' moves, then every queued StatusChange with its real date."""
        for plan in self.orders:
            if plan.age <= 30:
                self._order_history(plan)
        self.ctx.history.write()

    def _order_history(self, plan):
        created, status = plan.created_at, plan.status
        steps = [(OrderStatus.PLACED, created, "")]
        if status == OrderStatus.CREDIT_ANALYSIS or (
            status != OrderStatus.PLACED and plan.customer.is_government
        ):
            steps.append((OrderStatus.CREDIT_ANALYSIS, created + HOURS_1, ""))
        if plan.delivery_status is not None:
            steps.append((OrderStatus.BACKLOG, created + HOURS_3, ""))
        if plan.issued is not None:
            steps.append((OrderStatus.INVOICED, self.at(plan.issued, 9), ""))
        if status == OrderStatus.COMPLETED:
            steps.append((OrderStatus.COMPLETED, plan.finished_at + HOURS_1, ""))
        elif status == OrderStatus.CANCELLED and plan.invoiced_then_cancelled:
            steps.append((status, plan.finished_at + HOURS_1, RETURN_REASON))
        elif status == OrderStatus.CANCELLED:
            steps.append((status, created + HOURS_3, "Cancelado a pedido do cliente."))
        previous = ""
        for to, when, reason in steps:
            self.record(plan.obj, previous, to, when, reason=reason)
            previous = to


# -- the demo logins, present or not --------------------------------------------------------------


def demo_present():
    return (
        Order.objects.filter(account__reseller__code=RESELLERS[0].code).exists()
        and Reseller.objects.filter(code=RESELLERS[1].code).exists()
    )


def wipe():
    """Deletes the demo resellers and everything under them, their users and their files."""
    resellers = demo_resellers()
    accounts = demo_accounts()
    orders = Order.objects.filter(account__in=accounts)
    requests = CommissionRequest.objects.filter(reseller__in=resellers)
    service_invoices = ServiceInvoice.objects.filter(request__in=requests)
    commissions = Commission.objects.filter(account__in=accounts)
    installments = Installment.objects.filter(account__in=accounts)
    invoices = Invoice.objects.filter(order__in=orders)
    deliveries = Delivery.objects.filter(order__in=orders)

    # History points at its subject without a foreign key, so it goes first, by subquery.
    for queryset in (orders, deliveries, commissions, requests, service_invoices, installments):
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(queryset.model),
            object_id__in=queryset.values("pk"),
        ).delete()
    files = [
        name
        for queryset in (invoices, service_invoices)
        for pair in queryset.values_list("pdf", "xml")
        for name in pair
        if name
    ]
    customer_ids = set(orders.values_list("customer_id", flat=True))
    customer_ids |= set(installments.values_list("customer_id", flat=True))

    service_invoices.delete()
    commissions.delete()
    requests.delete()
    installments.delete()
    orders.delete()
    Customer.objects.filter(pk__in=customer_ids - {None}, orders=None, installments=None).delete()
    # Deleted now rather than on commit: a rebuild writes files under the same names.
    delete_files(files)


def _build(ctx):
    Builder(ctx).build()


step = Step(
    build=_build,
    wipe=lambda ctx: wipe(),
    present=lambda ctx: demo_present(),
)

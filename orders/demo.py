"""The demo's orders: a step of `manage.py demo_data`, after accounts/demo.py and the billing
companies (commissions/demo.py's first step).

Customers, then orders in every status with their lines, the NF-e of the invoiced ones with their
PDF and XML files, deliveries with their tracking events, and the last month's orders' status
history. Nothing depends on the calendar, so the mix of statuses is the same whatever the day.

Reads `accounts` and `companies` from the context; leaves in it `customers` ({reseller key:
[CustomerPlan]}), `orders` (every OrderPlan) and `invoiced` (the OrderPlans with an NF-e, by
issue date and number).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from accounts.demo import RESELLERS, demo_accounts
from accounts.models import ResellerAccount
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
    CENT,
    DAY,
    HISTORY_DAYS,
    HOURS_1,
    HOURS_3,
    Step,
    brl,
    cents,
    delete_files,
    delete_history,
    format_date,
    insert,
    make_cnpj,
    minimal_pdf,
    nfe_access_key,
    save_files,
    stored_files,
    unreferenced,
)

OrderStatus = Order.Status
DeliveryStatus = Delivery.Status
RETURN_REASON = "Mercadoria devolvida pelo destinatário."
CUSTOMER_CANCELLED = "Cancelado a pedido do cliente."

# How much of each reseller's business goes through each of its accounts.
ACCOUNT_WEIGHTS = {
    "M000000000LL": 55,
    "M000000017LL": 30,
    "M000000023LL": 15,
    "M000000000BB": 70,
    "M000000031BB": 30,
}
# Where most of each reseller's customers are.
HOME_STATES = {"A": ("SP", "RJ"), "B": ("MG",)}

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
    reseller: str  # the reseller's key in accounts/demo.py's RESELLERS
    account: ResellerAccount
    customer: CustomerPlan
    age: int
    created_at: dt.datetime
    status: str
    lines: list = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    invoiced_then_cancelled: bool = False
    delivery_status: str | None = None
    company: object = None  # the billing company (commissions.Company) of its NF-e
    issued: dt.date | None = None
    finished_at: dt.datetime | None = None  # when the delivery ended: delivered or returned
    obj: Order | None = None
    invoice: Invoice | None = None


def build(ctx):
    build_customers(ctx)
    build_orders(ctx)
    build_invoices(ctx)
    build_deliveries(ctx)
    for plan in ctx.orders:
        if plan.age <= 30:
            record_history(ctx, plan)
    ctx.history.write()
    OrderMonth.objects.refresh(a.pk for accounts in ctx.accounts.values() for a in accounts)


def order_counts(ctx):
    """Orders per reseller: the size asked for, and an eighth as many for B; twenty at least."""
    return {"A": max(ctx.size, 20), "B": max(ctx.size // 8, 20)}


# -- customers ------------------------------------------------------------------------------------


def build_customers(ctx):
    rng = ctx.rng("customers")
    counts = order_counts(ctx)
    ctx.customers = {}
    names, roots = set(), set()
    code = 104_000
    for spec in RESELLERS:
        plans = []
        for i in range(max(12, counts[spec.key] // 25)):
            # Every eighth customer is a public body: those sales wait for compliance.
            government = i % 8 == 3
            name, city, state = customer_name(rng, spec.key, government, names)
            root = customer_root(rng, roots)
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
        ctx.customers[spec.key] = plans
    write_customers(ctx)


def customer_name(rng, reseller, government, taken):
    home = [c for c in CITIES if c[1] in HOME_STATES[reseller]]
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


def customer_root(rng, taken):
    root = f"{rng.randint(1_000_000, 99_999_999):08d}"
    while root in taken:
        root = f"{rng.randint(1_000_000, 99_999_999):08d}"
    taken.add(root)
    return root


def write_customers(ctx):
    """Customers are shared with other resellers' data: one already there is reused."""
    every = [p for plans in ctx.customers.values() for p in plans]
    existing = Customer.objects.in_bulk([p.code for p in every], field_name="code")
    created = insert(
        Customer,
        [
            Customer(code=p.code, cnpj=p.cnpj, name=p.name, is_government=p.is_government)
            for p in every
            if p.code not in existing
        ],
    )
    by_code = {**existing, **{c.code: c for c in created}}
    for plan in every:
        plan.obj = by_code[plan.code]
    ctx.counts["customers"] = len(every)


# -- orders ---------------------------------------------------------------------------------------


def build_orders(ctx):
    rng = ctx.rng("orders")
    counts = order_counts(ctx)
    plans = []
    for spec in RESELLERS:
        plans += plan_orders(ctx, rng, spec.key, counts[spec.key])
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
    insert(Order, [p.obj for p in plans])
    insert(
        OrderLine,
        (
            OrderLine(order=p.obj, line_number=n, sku=sku, description=d, quantity=q, unit_price=u)
            for p in plans
            for n, (sku, d, q, u) in enumerate(p.lines, start=1)
        ),
    )
    ctx.orders = plans
    ctx.counts["orders"] = len(plans)
    ctx.counts["order lines"] = sum(len(p.lines) for p in plans)


def plan_orders(ctx, rng, reseller, count):
    accounts = ctx.accounts[reseller]
    weights = [ACCOUNT_WEIGHTS[a.code] for a in accounts]
    customers = ctx.customers[reseller]
    pools = {
        False: [c for c in customers if not c.is_government],
        True: [c for c in customers if c.is_government],
    }
    plans = []
    for i in range(count):
        if i < len(SHOWCASE):
            status, age, delivery, government = SHOWCASE[i]
            account, customer = accounts[0], rng.choice(pools[government])
        else:
            age = order_age(rng)
            status = order_status(rng, age)
            account = rng.choices(accounts, weights)[0]
            customer = rng.choice(customers)
            delivery = delivery_status(rng, status, age)
        created = ctx.at(ctx.day(age), rng.randint(8, 19), rng.randint(0, 59))
        plan = OrderPlan(reseller, account, customer, age, created, status)
        plan.delivery_status = delivery
        plan.invoiced_then_cancelled = delivery == DeliveryStatus.RETURNED
        order_lines(rng, plan)
        plans.append(plan)
    return plans


def order_age(rng):
    # Steady business over fifteen months, plus a busier last two months.
    if rng.random() < 0.75:
        return rng.randint(1, HISTORY_DAYS)
    return int(rng.triangular(1, 60, 1))


def order_status(rng, age):
    table = next(t for limit, t in STATUS_BY_AGE if age <= limit)
    statuses, weights = zip(*table, strict=True)
    return rng.choices(statuses, weights)[0]


def delivery_status(rng, status, age):
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


def order_lines(rng, plan):
    count = rng.choices((1, 2, 3, 4, 5), (40, 25, 15, 12, 8))[0]
    total = Decimal("0.00")
    for sku, description, price, low, high in rng.sample(PRODUCTS, count):
        # Most lines ask for a few units; now and then a big rollout.
        quantity = Decimal(low + int((high - low) * rng.random() ** 3))
        unit_price = cents(price * rng.randint(92, 108) // 100)
        plan.lines.append((sku, description, quantity, unit_price))
        total += quantity * unit_price
    plan.total = total.quantize(CENT)


# -- invoices and their files ---------------------------------------------------------------------


def build_invoices(ctx):
    rng = ctx.rng("invoices")
    invoiced = [
        p
        for p in ctx.orders
        if p.status in (OrderStatus.INVOICED, OrderStatus.COMPLETED) or p.invoiced_then_cancelled
    ]
    codes, weights = zip(*COMPANY_WEIGHTS, strict=True)
    for plan in invoiced:
        plan.company = ctx.companies[rng.choices(codes, weights)[0]]
        plan.issued = ctx.clip(plan.created_at.date() + dt.timedelta(days=rng.randint(1, 4)))
    invoiced.sort(key=lambda p: (p.issued, p.obj.number))
    # Each company numbers its NF-e from its prefix; other resellers' NF-e fall in between.
    counters = {
        code: int(company.invoice_prefix) * 10**7 + rng.randint(100_000, 900_000)
        for code, company in ctx.companies.items()
    }
    files = []
    for plan in invoiced:
        plan.invoice = make_invoice(rng, plan, counters)
        if ctx.files:
            files += invoice_files(ctx, plan)
    save_files(files)
    insert(Invoice, [p.invoice for p in invoiced])
    ctx.invoiced = invoiced
    ctx.counts["invoices"] = len(invoiced)
    ctx.counts["invoice files"] = len(files)


def make_invoice(rng, plan, counters):
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
    return Invoice(
        order=plan.obj, number=number, series=series, issued_at=plan.issued, access_key=key
    )


def invoice_files(ctx, plan):
    number = plan.invoice.number
    return [
        (plan.invoice, "pdf", f"DANFE-{number}.pdf", danfe(plan)),
        (plan.invoice, "xml", f"NFe-{number}.xml", nfe_xml(ctx, plan)),
    ]


def danfe(plan):
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


def nfe_xml(ctx, plan):
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
        f"<dhEmi>{ctx.at(invoice.issued_at, 10).isoformat()}</dhEmi></ide>"
        f"<emit><CNPJ>{company.cnpj}</CNPJ><xNome>{escape(company.legal_name)}</xNome></emit>"
        f"<dest><CNPJ>{customer.cnpj}</CNPJ><xNome>{escape(customer.name)}</xNome></dest>"
        f"{items}<total><ICMSTot><vNF>{plan.total:.2f}</vNF></ICMSTot></total>"
        "</infNFe></NFe>"
        f'<protNFe versao="4.00"><infProt><chNFe>{invoice.access_key}</chNFe>'
        "<cStat>100</cStat><xMotivo>Autorizado o uso da NF-e</xMotivo></infProt></protNFe>"
        "</nfeProc>\n"
    ).encode()


# -- deliveries -----------------------------------------------------------------------------------


def build_deliveries(ctx):
    rng = ctx.rng("deliveries")
    carriers = [Carrier.objects.get_or_create(name=name)[0] for name in CARRIERS]
    deliveries = [  # (delivery, its events)
        plan_delivery(ctx, rng, plan, carriers)
        for plan in ctx.orders
        if plan.delivery_status is not None
    ]
    insert(Delivery, [d for d, _ in deliveries])
    # The order's copy of its delivery's status, which bulk_create does not keep in step.
    Order.objects.filter(delivery__isnull=False).sync_delivery_status()
    events = []
    for delivery, mine in deliveries:
        for event in mine:
            event.delivery = delivery
            events.append(event)
    insert(DeliveryEvent, events)
    ctx.counts["deliveries"] = len(deliveries)
    ctx.counts["tracking events"] = len(events)


def plan_delivery(ctx, rng, plan, carriers):
    near = plan.customer.state in ("SP", "RJ", "MG")
    lead = rng.randint(2, 5) if near else rng.randint(4, 12)
    if plan.issued is None:
        # Backlog: waiting for stock, no carrier yet.
        expected = plan.created_at.date() + dt.timedelta(days=lead + rng.randint(3, 10))
        return Delivery(order=plan.obj, expected_date=expected), []
    carrier = rng.choice(carriers)
    events = delivery_events(ctx, rng, plan, lead)
    if plan.delivery_status in (DeliveryStatus.DELIVERED, DeliveryStatus.RETURNED):
        plan.finished_at = events[-1].occurred_at
    delivery = Delivery(
        order=plan.obj,
        carrier=carrier,
        status=plan.delivery_status,
        # Some shipments run late: the expected date passes while still in transit.
        expected_date=plan.issued + dt.timedelta(days=lead + rng.randint(0, 2)),
        tracking_code=tracking_code(rng, carrier),
    )
    return delivery, events


def delivery_events(ctx, rng, plan, lead):
    # A story that would reach past yesterday is squeezed into yesterday, in order.
    events, last = [], None
    for day, hour, description, location in delivery_timeline(rng, plan, lead):
        when = ctx.at(ctx.clip(day), hour)
        if last is not None and when <= last:
            when = last + dt.timedelta(minutes=37)
        events.append(DeliveryEvent(occurred_at=when, description=description, location=location))
        last = when
    return events


def delivery_timeline(rng, plan, lead):
    """(day, hour, description, location) of each tracking event, as the carrier would tell."""
    status, issued = plan.delivery_status, plan.issued
    destination = f"{plan.customer.city}/{plan.customer.state}"
    timeline = [
        (issued, 9, "Nota fiscal emitida", DISPATCH_FROM),
        (issued, 14, "Pedido em separação no centro de distribuição", DISPATCH_FROM),
    ]
    if status == DeliveryStatus.PROCESSING:
        return timeline
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
    return timeline


def tracking_code(rng, carrier):
    if carrier.name.startswith("Correios"):
        return f"Q{rng.choice('BCDE')}{rng.randint(0, 999_999_999):09d}BR"
    prefix = "".join(word[0] for word in carrier.name.split()).upper()
    return f"{prefix}{rng.randint(0, 10**12 - 1):012d}"


# -- history --------------------------------------------------------------------------------------


def record_history(ctx, plan):
    """The order's moves, from placed to where it stands."""
    previous = ""
    for to, when, reason in order_moves(ctx, plan):
        ctx.history.record(plan.obj, previous, to, when, reason=reason)
        previous = to


def order_moves(ctx, plan):
    created, status = plan.created_at, plan.status
    moves = [(OrderStatus.PLACED, created, "")]
    if status == OrderStatus.CREDIT_ANALYSIS or (
        status != OrderStatus.PLACED and plan.customer.is_government
    ):
        moves.append((OrderStatus.CREDIT_ANALYSIS, created + HOURS_1, ""))
    if plan.delivery_status is not None:
        moves.append((OrderStatus.BACKLOG, created + HOURS_3, ""))
    if plan.issued is not None:
        moves.append((OrderStatus.INVOICED, ctx.at(plan.issued, 9), ""))
    if status == OrderStatus.COMPLETED:
        moves.append((OrderStatus.COMPLETED, plan.finished_at + HOURS_1, ""))
    elif status == OrderStatus.CANCELLED and plan.invoiced_then_cancelled:
        moves.append((status, plan.finished_at + HOURS_1, RETURN_REASON))
    elif status == OrderStatus.CANCELLED:
        moves.append((status, created + HOURS_3, CUSTOMER_CANCELLED))
    return moves


# -- present, wipe --------------------------------------------------------------------------------


def present(ctx):
    return Order.objects.filter(account__reseller__code=RESELLERS[0].code).exists()


def wipe(ctx):
    """Deletes the demo accounts' orders with their history and files, and the customers that
    nothing refers to any more."""
    orders = Order.objects.filter(account__in=demo_accounts())
    delete_history(orders)
    delete_history(Delivery.objects.filter(order__in=orders))
    files = stored_files(Invoice.objects.filter(order__in=orders), "pdf", "xml")
    customers = set(orders.values_list("customer_id", flat=True)) - {None}
    orders.delete()
    unreferenced(Customer.objects.filter(pk__in=customers)).delete()
    delete_files(files)


step = Step(build=build, wipe=wipe, present=present)

"""`manage.py demo_data`: the demo data set and its logins."""

import hashlib
import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import EcommerceUser, Reseller, ResellerAccount, User
from accounts.store import LocalStore
from collaborators.models import Collaborator
from collaborators.modules import Module
from commissions.models import Commission, CommissionRequest, Company, Installment
from nfreport.models import ServiceInvoice
from orders.models import Customer, Delivery, DeliveryEvent, Invoice, Order, OrderLine
from portal import cnpj
from portal.models import StatusChange
from tests.commissions.helpers import assert_copies_match_their_sources
from tests.demo.helpers import PASSWORD, STAFF, demo_data


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def fingerprint():
    """A digest of the data set by natural keys, so two builds can be compared."""
    digest = hashlib.sha256()
    querysets = [
        Order.objects.order_by("number").values_list(
            "number", "account__code", "customer__code", "status", "created_at", "total"
        ),
        OrderLine.objects.order_by("order__number", "line_number").values_list(
            "order__number", "line_number", "sku", "description", "quantity", "unit_price"
        ),
        Customer.objects.order_by("code").values_list("code", "cnpj", "name", "is_government"),
        Invoice.objects.order_by("access_key").values_list(
            "order__number", "number", "series", "issued_at", "access_key", "pdf", "xml"
        ),
        Delivery.objects.order_by("order__number").values_list(
            "order__number", "status", "carrier__name", "expected_date", "tracking_code"
        ),
        DeliveryEvent.objects.order_by("delivery__order__number", "occurred_at").values_list(
            "delivery__order__number", "occurred_at", "description", "location"
        ),
        Installment.objects.order_by("invoice_number", "number").values_list(
            "invoice_number", "number", "company__code", "due_date", "amount", "paid_date"
        ),
        Commission.objects.order_by(
            "installment__invoice_number", "installment__number"
        ).values_list(
            "installment__invoice_number",
            "installment__number",
            "status",
            "net_amount",
            "payment_date",
            "payment_document",
            "request__created_at",
        ),
        CommissionRequest.objects.order_by("created_at", "company__code").values_list(
            "reseller__code", "company__code", "status", "total", "created_at"
        ),
        ServiceInvoice.objects.order_by("number").values_list(
            "number", "amount", "status", "sent_at"
        ),
        # Service invoice files live under their request's pk, which a rebuild renumbers.
        sorted(
            name.rsplit("/")[-1] for name in ServiceInvoice.objects.values_list("pdf", flat=True)
        ),
        StatusChange.objects.order_by("changed_at", "to_status", "reason").values_list(
            "content_type__model", "from_status", "to_status", "changed_at", "reason"
        ),
    ]
    for queryset in querysets:
        # Sorted here: rows that tie on the database's ordering may come back in any order.
        for row in sorted(repr(row) for row in queryset):
            digest.update(row.encode())
    return digest.hexdigest()


def row_counts():
    models = [Reseller, ResellerAccount, Customer, Order, OrderLine, Invoice, Delivery]
    models += [DeliveryEvent, Installment, Commission, CommissionRequest, ServiceInvoice]
    models += [StatusChange, User, Collaborator, EcommerceUser]
    return {model.__name__: model.objects.count() for model in models}


def without_pk(name):
    # Service invoice files live under their request's pk, which a rebuild renumbers.
    return re.sub(r"^service-invoices/\d+/", "service-invoices/*/", name)


def media_files(root):
    return sorted(without_pk(str(p.relative_to(root))) for p in root.rglob("*") if p.is_file())


@pytest.mark.django_db
def test_it_has_every_status_every_company_and_three_accounts_for_reseller_a():
    demo_data(orders=200)

    assert {*Order.objects.values_list("status", flat=True)} == set(Order.Status.values)
    assert {*Delivery.objects.values_list("status", flat=True)} == set(Delivery.Status.values)
    assert {*Commission.objects.values_list("status", flat=True)} == set(Commission.Status.values)
    assert {*CommissionRequest.objects.values_list("status", flat=True)} == set(
        CommissionRequest.Status.values
    )
    assert {*Commission.objects.values_list("company__code", flat=True)} == {
        "IMB",
        "IMT",
        "BRLINK",
    }
    reseller_a = Reseller.objects.get(code="M000000000LL")
    assert reseller_a.accounts.count() == 3
    assert all(account.orders.exists() for account in reseller_a.accounts.all())
    assert Order.objects.exclude(account__reseller=reseller_a).count() > 0
    assert Order.objects.filter(customer__is_government=True).exists()


@pytest.mark.django_db
def test_the_lists_copies_match_their_sources():
    """Order.delivery_status, Commission.issue_date and due_date and CommissionTotal, written in
    bulk, match what they copy."""
    demo_data(orders=200)

    assert_copies_match_their_sources()


@pytest.mark.django_db
def test_it_is_deterministic_for_a_seed_and_a_day(media):
    demo_data()
    first, counts, files = fingerprint(), row_counts(), media_files(media)

    demo_data("--rebuild")

    assert fingerprint() == first
    assert row_counts() == counts
    assert media_files(media) == files

    demo_data("--rebuild", "--seed", "7")

    assert fingerprint() != first


@pytest.mark.django_db
def test_running_it_again_neither_fails_nor_duplicates(media):
    demo_data()
    counts, first, files = row_counts(), fingerprint(), media_files(media)

    out = demo_data()

    assert "already there" in out
    assert row_counts() == counts
    assert fingerprint() == first
    assert media_files(media) == files


@pytest.mark.django_db
def test_running_it_again_puts_the_demo_logins_back():
    demo_data()
    assert authenticate(request=None, email="novo@revenda-a.example", password=PASSWORD)
    pedidos = Collaborator.objects.get(user__email="pedidos@revenda-a.example")
    pedidos.set_modules([Module.ORDERS, Module.COMMISSIONS_TRACK])
    store_admin = EcommerceUser.objects.get(login="admin@revenda-a.example")
    store_admin.set_password("changed-it")
    store_admin.is_locked = True
    store_admin.save()

    demo_data()

    assert not User.objects.filter(email="novo@revenda-a.example").exists()
    pedidos = Collaborator.objects.get(user__email="pedidos@revenda-a.example")
    assert pedidos.modules == {Module.ORDERS}
    assert LocalStore().authenticate("admin@revenda-a.example", PASSWORD).is_admin


@pytest.mark.django_db
def test_rebuilding_removes_what_it_replaces(media):
    demo_data(orders=40)
    # A collaborator who appeared at first login belongs to the demo too.
    assert authenticate(request=None, email="admin@revenda-b.example", password=PASSWORD)

    demo_data("--rebuild", orders=80)

    assert Order.objects.count() == 80 + 20
    assert Reseller.objects.count() == 2
    assert not User.objects.filter(email="admin@revenda-b.example").exists()
    assert User.objects.filter(email=STAFF).count() == 1
    expected = {*Invoice.objects.values_list("pdf", flat=True)}
    expected |= {*Invoice.objects.values_list("xml", flat=True)}
    expected |= {*ServiceInvoice.objects.values_list("pdf", flat=True)}
    assert media_files(media) == sorted(without_pk(name) for name in expected)


@pytest.mark.django_db
def test_every_cnpj_is_valid():
    demo_data()

    cnpjs = [
        *Reseller.objects.values_list("cnpj", flat=True),
        *ResellerAccount.objects.values_list("cnpj", flat=True),
        *Customer.objects.values_list("cnpj", flat=True),
        *Company.objects.values_list("cnpj", flat=True),
    ]
    assert len(cnpjs) > 20
    assert [c for c in cnpjs if not cnpj.is_valid(c)] == []


@pytest.mark.django_db
def test_first_logins_land_where_the_readme_says():
    demo_data()
    first_timers = ["admin@revenda-a.example", "novo@revenda-a.example"]
    assert not User.objects.filter(email__in=first_timers).exists()

    admin = authenticate(request=None, email="admin@revenda-a.example", password=PASSWORD)
    pedidos = authenticate(request=None, email="pedidos@revenda-a.example", password=PASSWORD)
    novo = authenticate(request=None, email="novo@revenda-a.example", password=PASSWORD)
    admin_b = authenticate(request=None, email="admin@revenda-b.example", password=PASSWORD)

    assert admin.collaborator.is_admin
    assert admin.collaborator.reseller.code == "M000000000LL"
    assert not pedidos.collaborator.is_admin
    assert pedidos.collaborator.modules == {Module.ORDERS}
    assert pedidos.collaborator.first_access < pedidos.collaborator.last_access
    assert not novo.collaborator.is_admin
    assert not novo.collaborator.has_any_module()
    assert admin_b.collaborator.is_admin
    assert admin_b.collaborator.reseller.code != "M000000000LL"
    assert not admin.has_usable_password()


@pytest.mark.django_db
def test_it_prints_the_five_logins_and_the_url(monkeypatch, settings):
    monkeypatch.setenv("PORT", "8123")
    settings.DEBUG = True  # as `make demo` runs it
    out = io.StringIO()

    call_command("demo_data", "--orders", "40", stdout=out)  # as `make demo` does: today's data

    out = out.getvalue()

    rows = {
        "admin@revenda-a.example": "reseller A's admin",
        "pedidos@revenda-a.example": "only Status de pedidos",
        "novo@revenda-a.example": "has never logged in; no modules after the first login",
        "admin@revenda-b.example": "reseller B's admin",
        "staff@distribuidora.example": "distributor staff (Django admin)",
    }
    for login, who in rows.items():
        assert re.search(rf"^{re.escape(login)}\s+demo1234\s+{re.escape(who)}$", out, re.M)
    assert "http://127.0.0.1:8123/" in out


@pytest.mark.django_db
def test_recorded_history_follows_the_lifecycles():
    demo_data(orders=200)

    changes = StatusChange.objects.select_related("content_type")
    assert {c.content_type.model for c in changes} >= {"order", "commission", "commissionrequest"}
    illegal = [
        (c.content_type.model, c.from_status, c.to_status)
        for c in changes
        if c.from_status
        and not c.content_type.model_class().lifecycle.allows(c.from_status, c.to_status)
    ]
    assert illegal == []

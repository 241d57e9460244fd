"""Factories for the domain. Valid CNPJs come from `portal.cnpj.check_digits`."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import EcommerceUser, Reseller, ResellerAccount, User
from collaborators.models import Collaborator
from commissions.models import Commission, CommissionRequest, Company, Installment
from orders.models import Carrier, Customer, Delivery, Invoice, Order, OrderLine
from portal import cnpj


def make_cnpj(n, branch=1):
    base = f"{n:08d}{branch:04d}"
    return base + cnpj.check_digits(base)


class ResellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reseller
        django_get_or_create = ("cnpj",)

    cnpj = factory.Sequence(lambda n: make_cnpj(10_000_000 + n))
    name = factory.Sequence(lambda n: f"Revenda {n} Ltda.")
    code = factory.Sequence(lambda n: f"M{n:011d}")


class ResellerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResellerAccount

    reseller = factory.SubFactory(ResellerFactory)
    code = factory.Sequence(lambda n: f"A{n:011d}")
    cnpj = factory.Sequence(lambda n: make_cnpj(20_000_000 + n, 2))
    name = factory.LazyAttribute(lambda o: f"{o.reseller.name} filial")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"Usuária {n}")
    password = factory.django.Password(None)


class CollaboratorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collaborator
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    reseller = factory.SubFactory(ResellerFactory)
    first_access = factory.LazyFunction(timezone.now)
    last_access = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def modules(self, create, extracted, **kwargs):
        if create and extracted:
            self.set_modules(extracted)


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True
    password = factory.django.Password("staff-pass-123")


class EcommerceUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EcommerceUser

    login = factory.Sequence(lambda n: f"ecommerce{n}@example.com")
    password = factory.django.Password("secret-123")
    name = factory.Sequence(lambda n: f"Pessoa {n}")
    reseller = factory.SubFactory(ResellerFactory)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{1000 + n}")
    cnpj = factory.Sequence(lambda n: make_cnpj(30_000_000 + n))
    name = factory.Sequence(lambda n: f"Cliente {n} S.A.")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    account = factory.SubFactory(ResellerAccountFactory)
    number = factory.Sequence(lambda n: f"{800_000_000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    created_at = factory.LazyFunction(timezone.now)
    total = Decimal("1000.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_number = factory.Sequence(lambda n: n + 1)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    description = "Notebook 14 polegadas"
    quantity = Decimal("2")
    unit_price = Decimal("500.00")


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    order = factory.SubFactory(OrderFactory)
    number = factory.Sequence(lambda n: f"{100_000 + n}")
    series = "1"
    issued_at = factory.LazyFunction(lambda: timezone.localdate())
    access_key = factory.Sequence(lambda n: f"{n:044d}")


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ("name",)

    name = "Transportadora Rápida"


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    order = factory.SubFactory(OrderFactory)
    carrier = factory.SubFactory(CarrierFactory)
    expected_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=5))


def company(code="IMB"):
    return Company.objects.get(code=code)


class InstallmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Installment

    invoice_number = factory.Sequence(lambda n: f"80{n:08d}")
    number = 1
    company = factory.LazyFunction(company)
    account = factory.SubFactory(ResellerAccountFactory)
    customer = factory.SubFactory(CustomerFactory)
    issue_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    due_date = factory.LazyFunction(lambda: timezone.localdate())
    amount = Decimal("1500.00")


class CommissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commission

    installment = factory.SubFactory(InstallmentFactory)
    account = factory.LazyAttribute(lambda o: o.installment.account)
    company = factory.LazyAttribute(lambda o: o.installment.company)
    net_amount = Decimal("120.50")


class CommissionRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommissionRequest

    reseller = factory.SubFactory(ResellerFactory)
    company = factory.LazyFunction(company)
    created_by = factory.SubFactory(UserFactory)
    total = Decimal("0")

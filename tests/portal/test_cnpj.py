"""CNPJ check digits and the field rules of the domain data: initial companies, money, time."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from commissions.models import Company
from orders.models import Customer
from portal import cnpj
from portal.models import StatusChange
from tests.factories import CommissionFactory, InstallmentFactory, OrderFactory, OrderLineFactory

COMPANY_CNPJS = ["01.771.935/0002-15", "06.241.557/0001-09", "05.620.160/0001-57"]


@pytest.mark.parametrize("value", COMPANY_CNPJS)
def test_the_three_companies_cnpjs_are_valid_with_punctuation(value):
    assert cnpj.is_valid(value)


@pytest.mark.parametrize("value", [cnpj.strip(v) for v in COMPANY_CNPJS])
def test_the_three_companies_cnpjs_are_valid_without_punctuation(value):
    assert value.isdigit() and len(value) == 14
    assert cnpj.is_valid(value)


@pytest.mark.parametrize("value", ["12.ABC.345/01DE-35", "12ABC34501DE35", "12.abc.345/01de-35"])
def test_the_alphanumeric_cnpj_of_2026_is_valid(value):
    assert cnpj.is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "01.771.935/0002-16",  # last check digit off by one
        "01.771.935/0002-25",  # first check digit off by one
        "12.ABC.345/01DE-36",
        "0177193500021",  # 13 characters
        "017719350002150",  # 15 characters
        "",
        None,
        "00000000000000",  # passes the check-digit arithmetic, but is not a CNPJ
        "11111111111111",
        "12ABC34501DEA5",  # a letter in the check digits
        "12ABC34501DE3A",
        "12ABC34501-E35",  # punctuation inside the base does not make a character
        "12ÁBC34501DE35",
    ],
)
def test_malformed_or_wrong_cnpjs_are_invalid(value):
    assert not cnpj.is_valid(value)


def test_check_digits_build_a_valid_cnpj():
    base = "12ABC34501DE"
    assert cnpj.check_digits(base) == "35"
    assert cnpj.is_valid(base + cnpj.check_digits(base))


@pytest.mark.parametrize("value", ["01771935000215", "01.771.935/0002-15"])
def test_format_cnpj_punctuates(value):
    assert cnpj.format_cnpj(value) == "01.771.935/0002-15"


def test_format_cnpj_leaves_a_malformed_value_alone():
    assert cnpj.format_cnpj("123") == "123"


@pytest.mark.django_db
def test_cnpj_field_stores_the_bare_cnpj():
    customer = Customer.objects.create(code="C1", cnpj="06.241.557/0001-09", name="Cliente")
    customer.refresh_from_db()
    assert customer.cnpj == "06241557000109"
    assert Customer.objects.filter(cnpj="06.241.557/0001-09").get() == customer


@pytest.mark.django_db
def test_full_clean_normalizes_a_punctuated_cnpj():
    customer = Customer(code="C1", cnpj="12.abc.345/01de-35", name="Cliente")
    customer.full_clean()
    assert customer.cnpj == "12ABC34501DE35"


@pytest.mark.django_db
def test_full_clean_rejects_an_invalid_cnpj_with_the_message():
    customer = Customer(code="C1", cnpj="01.771.935/0002-16", name="Cliente")
    with translation.override("en"), pytest.raises(ValidationError) as info:
        customer.full_clean()
    [error] = info.value.error_dict["cnpj"]
    assert error.code == "invalid_cnpj"
    with translation.override("en"):
        assert error.messages == ["Enter a valid CNPJ."]


@pytest.mark.django_db
def test_the_three_companies_exist_after_migrations():
    companies = {c.code: (c.cnpj, c.invoice_prefix) for c in Company.objects.all()}
    assert companies == {
        "IMB": ("01771935000215", "80"),
        "IMT": ("06241557000109", "87"),
        "BRLINK": ("05620160000157", "82"),
    }
    assert all(cnpj.is_valid(c) for c, _ in companies.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "number, code", [("87000123", "IMT"), ("80999999", "IMB"), ("8200000001", "BRLINK")]
)
def test_the_billing_company_follows_from_the_invoice_prefix(number, code):
    assert Company.objects.for_invoice_number(number).code == code


@pytest.mark.django_db
def test_an_invoice_number_with_an_unknown_prefix_has_no_company():
    assert Company.objects.for_invoice_number("99000123") is None


@pytest.mark.django_db
def test_money_comes_back_from_the_database_as_decimal():
    line = OrderLineFactory(quantity=Decimal("3"), unit_price=Decimal("19.90"))
    commission = CommissionFactory(net_amount=Decimal("120.55"))
    for obj in (line, line.order, commission, commission.installment):
        obj.refresh_from_db()
    assert line.unit_price == Decimal("19.90") and isinstance(line.unit_price, Decimal)
    assert line.total == Decimal("59.70")
    assert isinstance(line.order.total, Decimal)
    assert isinstance(commission.net_amount, Decimal)
    assert isinstance(commission.installment.amount, Decimal)


@pytest.mark.django_db
def test_datetimes_are_aware_and_shown_in_sao_paulo():
    order = OrderFactory(created_at=dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))
    order.refresh_from_db()
    assert timezone.is_aware(order.created_at)
    assert timezone.get_current_timezone() == ZoneInfo("America/Sao_Paulo")
    assert timezone.localtime(order.created_at).hour == 12  # UTC−3, no daylight saving


@pytest.mark.django_db
def test_status_change_time_is_aware(alice):
    commission = CommissionFactory(installment=InstallmentFactory())
    change = commission.transition_to("released", by=alice.user, reason="payment identified")
    change = StatusChange.objects.get(pk=change.pk)
    assert timezone.is_aware(change.changed_at)

"""The cell parsers of the ERP import, on the values CSV and XLSX files carry."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from orders.models import Order
from portal import erp

SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567", "1234567"),
        ("R$ 1.234,56", "1234.56"),
        ("-10,00", "-10.00"),
        (1234.56, "1234.56"),
        (7, "7"),
    ],
)
def test_decimal_reads_brazilian_and_plain_notation(raw, expected):
    assert erp.decimal(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["12,34,56", "abc", "1.2.3,4,5", True])
def test_decimal_refuses_what_is_not_a_number(raw):
    with pytest.raises(ValidationError):
        erp.decimal(raw)


@pytest.mark.parametrize(
    "raw", ["23/06/2025", "2025-06-23", dt.datetime(2025, 6, 23, 0, 0), dt.date(2025, 6, 23)]
)
def test_date_reads_day_first_iso_and_excel_dates(raw):
    assert erp.date(raw) == dt.date(2025, 6, 23)


@pytest.mark.parametrize("raw", ["31/02/2025", "06/23/2025", "23.06.2025", "ontem"])
def test_date_refuses_impossible_or_ambiguous_text(raw):
    with pytest.raises(ValidationError, match="Enter a valid date."), translation.override("en"):
        erp.date(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "02/04/2025 10:30",
        "02/04/2025 10:30:00",
        "2025-04-02 10:30",
        "2025-04-02T13:30:00+00:00",
        dt.datetime(2025, 4, 2, 10, 30),
    ],
)
def test_datetime_without_offset_is_sao_paulo_time(raw):
    moment = erp.aware_datetime(raw)
    assert moment == dt.datetime(2025, 4, 2, 10, 30, tzinfo=SAO_PAULO)


def test_choice_takes_the_code_or_the_english_label():
    parse = erp.choice(Order.Status)
    assert parse("credit_analysis") == "credit_analysis"
    assert parse("Credit analysis") == "credit_analysis"
    assert parse(" CANCELLED ") == "cancelled"
    with pytest.raises(ValidationError):
        parse("shipped")


def test_cnpj_from_an_excel_number_gets_its_leading_zero_back():
    assert erp.cnpj_number(1771935000215) == "01771935000215"
    assert erp.cnpj_number("01.771.935/0002-15") == "01771935000215"
    with pytest.raises(ValidationError):
        erp.cnpj_number("01.771.935/0002-16")


def test_codes_stored_as_excel_numbers_read_as_text():
    assert erp.text(100231.0) == "100231"
    assert erp.integer(2.0) == 2
    with pytest.raises(ValidationError):
        erp.integer("2,5")


def test_access_key_must_have_44_digits():
    key = "3525030177193500021555001809104511163731577 2"
    assert erp.access_key(key) == key.replace(" ", "")
    with pytest.raises(ValidationError):
        erp.access_key(key[:-3])

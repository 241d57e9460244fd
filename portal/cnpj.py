"""CNPJ: check digits, formatting, and the alphanumeric form that Receita Federal issues from 2026.

An alphanumeric CNPJ has twelve characters from 0-9 and A-Z followed by two numeric check digits.
Each character is worth its ASCII code minus 48, so a numeric CNPJ is a special case of the same
rule (Instrução Normativa RFB nº 2.229/2024).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PUNCTUATION = re.compile(r"[./\-\s]")
_SHAPE = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")
_WEIGHTS_1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_WEIGHTS_2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def strip(value):
    """The CNPJ without punctuation, upper-cased."""
    return _PUNCTUATION.sub("", str(value or "")).upper()


def _digit(chars, weights):
    total = sum((ord(c) - 48) * w for c, w in zip(chars, weights, strict=True))
    remainder = total % 11
    return "0" if remainder < 2 else str(11 - remainder)


def is_valid(value):
    cnpj = strip(value)
    if not _SHAPE.match(cnpj) or len(set(cnpj)) == 1:
        return False
    first = _digit(cnpj[:12], _WEIGHTS_1)
    second = _digit(cnpj[:12] + first, _WEIGHTS_2)
    return cnpj[12:] == first + second


def check_digits(base12):
    """The two check digits for a twelve-character base; used to build valid test data."""
    base12 = strip(base12)
    first = _digit(base12, _WEIGHTS_1)
    return first + _digit(base12 + first, _WEIGHTS_2)


def format_cnpj(value):
    cnpj = strip(value)
    if len(cnpj) != 14:
        return value or ""
    return f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}"


def validate_cnpj(value):
    if not is_valid(value):
        raise ValidationError(_("Enter a valid CNPJ."), code="invalid_cnpj")

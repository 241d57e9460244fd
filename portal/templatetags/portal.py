from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

from portal.cnpj import format_cnpj

register = template.Library()


@register.filter
def brl(value):
    """Money as Brazilians write it: R$ 3.072,85."""
    if value in (None, ""):
        return "—"
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    return f"R$ {number_format(value, 2, force_grouping=True, use_l10n=True)}"


@register.filter(name="cnpj")
def cnpj_filter(value):
    return format_cnpj(value) if value else ""

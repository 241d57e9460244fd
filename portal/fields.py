from django.db import models
from django.utils.translation import gettext_lazy as _

from portal import cnpj


class CNPJField(models.CharField):
    """A CNPJ stored bare (14 characters), validated by its check digits."""

    default_validators = [cnpj.validate_cnpj]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 14)
        kwargs.setdefault("verbose_name", _("CNPJ"))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 14:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        return cnpj.strip(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return cnpj.strip(value) if value else value


class MoneyField(models.DecimalField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

"""Shared pieces of the list pages' FilterSets: Bootstrap widgets, digit-only fields, date bounds
that keep using the index on a datetime column, and the "from" ≤ "to" rule."""

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import cnpj

digits_only = RegexValidator(r"^[0-9]+$", _("Use digits only."), code="digits")

# The day's first or last moment of 9999-12-31 (or 0001-01-01) does not exist in UTC, so dates
# outside these bounds would overflow in the database adapter; nobody searches them anyway.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateBoundFilter(django_filters.DateFilter):
    """A "from" or "to" date. On a datetime column it compares with the start or the end of the
    day in the portal's time zone, so the database can still use the column's index."""

    def __init__(self, *args, bound="from", **kwargs):
        self.bound = bound
        kwargs.setdefault("lookup_expr", "gte" if bound == "from" else "lte")
        kwargs.setdefault("widget", DateInput)
        kwargs.setdefault(
            "validators", [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if _model_field(qs.model, self.field_name).get_internal_type() == "DateTimeField":
            moment = dt.datetime.combine(
                value, dt.time.min if self.bound == "from" else dt.time.max
            )
            value = timezone.make_aware(moment)
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": value})


def _model_field(model, path):
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


class CNPJFilter(django_filters.CharFilter):
    """A CNPJ typed with or without punctuation; partial CNPJs match from the start."""

    def filter(self, qs, value):
        value = cnpj.strip(value)
        if not value:
            return qs
        lookup = "exact" if len(value) == 14 else "startswith"
        return qs.filter(**{f"{self.field_name}__{lookup}": value})


class PortalFilterSet(django_filters.FilterSet):
    """Bootstrap widgets, and date pairs named `<x>_from`/`<x>_to` must be in order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)
        self.form.clean = self._clean_form

    def is_valid(self):
        valid = super().is_valid()
        for name in self.form.errors:
            if name in self.form.fields:
                widget = self.form.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        return valid

    def _clean_form(self):
        data = forms.Form.clean(self.form)
        for name in list(self.form.fields):
            if name.endswith("_from"):
                stem = name.removesuffix("_from")
                start, end = data.get(name), data.get(f"{stem}_to")
                if start and end and start > end:
                    self.form.add_error(
                        f"{stem}_to",
                        ValidationError(
                            _("The end date must not be before the start date."),
                            code="date_order",
                        ),
                    )
        return data

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.filters import AccountFilter
from commissions.models import Commission, Company
from portal.filters import CNPJFilter, DateBoundFilter, PortalFilterSet, digits_only

# Digits (or the letters of an alphanumeric CNPJ), with or without the usual punctuation.
cnpj_characters = RegexValidator(
    r"^[0-9A-Za-z./\-\s]*$",
    _("Type the customer's CNPJ, with or without punctuation."),
    code="cnpj",
)
OVERDUE_CHOICES = (("true", _("Yes")), ("false", _("No")))


class CommissionFilterSet(PortalFilterSet):
    account = AccountFilter()
    company = django_filters.ModelChoiceFilter(
        label=_("Company"),
        queryset=Company.objects.all(),
        to_field_name="code",
        empty_label=_("Select"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Commission status"), choices=Commission.Status.choices, empty_label=_("Select")
    )
    customer = CNPJFilter(
        label=_("Customer"),
        field_name="installment__customer__cnpj",
        max_length=20,
        validators=[cnpj_characters],
        widget=forms.TextInput(attrs={"placeholder": _("Type the customer's CNPJ")}),
    )
    invoice = django_filters.CharFilter(
        label=_("Invoice no."),
        field_name="installment__invoice_number",
        max_length=20,
        validators=[digits_only],
        widget=forms.TextInput(
            attrs={"placeholder": _("Type the invoice no."), "inputmode": "numeric"}
        ),
    )
    issued_from = DateBoundFilter(label=_("Issued from"), field_name="issue_date", bound="from")
    issued_to = DateBoundFilter(label=_("Issued until"), field_name="issue_date", bound="to")
    due_from = DateBoundFilter(label=_("Due from"), field_name="due_date", bound="from")
    due_to = DateBoundFilter(label=_("Due until"), field_name="due_date", bound="to")
    # "Faturas vencidas" on the dashboard links here: overdue=true.
    overdue = django_filters.ChoiceFilter(
        label=_("Overdue invoice"),
        choices=OVERDUE_CHOICES,
        empty_label=_("Select"),
        method="filter_overdue",
    )

    class Meta:
        model = Commission
        fields = []

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value == "true" else queryset.not_overdue()

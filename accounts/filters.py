"""The reseller and account filters: the "Revenda" filter of the portal's lists, and the Django
admin's list filters by reseller and by account."""

import django_filters
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import Reseller, ResellerAccount
from portal.admin import ID_PARAMETER, filter_id


def _user_accounts(request):
    if request is None:
        return ResellerAccount.objects.none()
    return ResellerAccount.objects.visible_to(request.user)


class AccountFilter(django_filters.ModelChoiceFilter):
    """The "Revenda" filter: "Consolidado" (every account of the user's reseller) or one of its
    accounts. Another reseller's account is not a choice, so it is a form error, never data."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Reseller"))
        kwargs.setdefault("queryset", _user_accounts)
        kwargs.setdefault("empty_label", _("Consolidated"))
        super().__init__(*args, **kwargs)


def reseller_filter(path, parameter_name="reseller"):
    """A list filter by reseller, whose path from the model is `path` (e.g. "account__reseller").

    Resellers are few, so the sidebar stays short even when the table has a million rows.
    """

    class ResellerFilter(admin.SimpleListFilter):
        title = _("reseller")

        def lookups(self, request, model_admin):
            return list(Reseller.objects.order_by("name").values_list("pk", "name"))

        def queryset(self, request, queryset):
            value = self.value()
            if value is None:
                return queryset
            return queryset.filter(**{f"{path}__pk": filter_id(value)})

    ResellerFilter.parameter_name = parameter_name
    return ResellerFilter


def account_filter(path, reseller_parameter="reseller", parameter_name="account"):
    """A list filter by ERP account that appears once a reseller is chosen, since all the
    accounts of every reseller together would be too many to list."""

    class AccountFilter(admin.SimpleListFilter):
        title = _("account")

        def lookups(self, request, model_admin):
            reseller = request.GET.get(reseller_parameter, "")
            if not ID_PARAMETER.fullmatch(reseller):
                return []
            accounts = ResellerAccount.objects.filter(reseller_id=reseller).order_by("code")
            return [(a.pk, str(a)) for a in accounts]

        def queryset(self, request, queryset):
            value = self.value()
            if value is None:
                return queryset
            return queryset.filter(**{f"{path}__pk": filter_id(value)})

    AccountFilter.parameter_name = parameter_name
    return AccountFilter

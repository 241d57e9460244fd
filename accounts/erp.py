"""What the ERP import needs of the accounts: rows of other kinds name a reseller account by its
ERP code. The accounts have no kind of their own; the ERP sends them through the e-commerce."""

from django.utils.translation import gettext_lazy

from accounts.models import ResellerAccount
from portal.erp import Ref

ACCOUNT = Ref(
    "account",
    ResellerAccount,
    ("code",),
    ("account_code",),
    gettext_lazy("Unknown reseller account “%(key)s”."),
)

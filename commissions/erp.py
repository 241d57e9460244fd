"""The ERP files of the commissions area: installments, their commissions and the end
customers' payments. Registered with the import by settings.ERP_KINDS."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.erp import ACCOUNT
from commissions.models import Commission, CommissionTotal, Company, Installment, copied_from
from orders.erp import CUSTOMER, ORDER
from portal.erp import Column, Kind, Ref, RowError, choice, date, decimal, integer

COMPLIANCE_HOLD = "compliance approval"


def _company_for(run, invoice_number):
    """The billing company of an invoice number; each prefix is looked up once per file."""
    # A prefix has at most this many characters, so they alone decide the company.
    head = invoice_number[: Company._meta.get_field("invoice_prefix").max_length]
    companies = run.file_cache.setdefault("companies", {})
    if head not in companies:
        companies[head] = Company.objects.for_invoice_number(head)
    return companies[head]


def _installment_company(row, run):
    company = _company_for(run, row.values["invoice_number"])
    if company is None:
        raise RowError(
            (
                "invoice_number",
                _("No company has an invoice prefix that matches invoice number “%(number)s”.")
                % {"number": row.values["invoice_number"]},
            )
        )
    row.values["company_id"] = company.pk


def _commission_from_installment(row, run):
    installment = row.refs["installment"]
    row.values.update(
        account_id=installment.account_id,
        company_id=installment.company_id,
        **copied_from(installment),
    )


def _commission_starting_status(values, row, run):
    status = values.get("status")
    if values["sale_type"] == Commission.SaleType.GOVERNMENT and status in (
        None,
        Commission.Status.PROVISIONED,
    ):
        values.update(status=Commission.Status.ON_HOLD, hold_reason=COMPLIANCE_HOLD)
    elif status is None and row.refs["installment"].paid_date:
        # The payment was imported before the commission: it is already identified.
        values["status"] = Commission.Status.RELEASED


def _release_commission(installment, row, run):
    """A commission is released once the end customer's payment is identified."""
    commission = getattr(installment, "commission", None)
    if commission is None or commission.status != Commission.Status.PROVISIONED:
        return False
    commission.transition_to(Commission.Status.RELEASED, by=None, reason=run.reason)
    return True


def _installment_account(row):
    installment = row.refs.get("installment")
    return installment.account_id if installment else None


def _recount_commission_totals(accounts):
    CommissionTotal.objects.refresh(accounts)


INSTALLMENT = Ref(
    "installment",
    Installment,
    ("invoice_number", "number"),
    ("invoice_number", "installment"),
    gettext_lazy("Unknown installment “%(key)s”; import the installments first."),
)

KINDS = (
    Kind(
        "installments",
        Installment,
        key=("invoice_number", "number"),
        columns=(
            Column("invoice_number"),
            Column("installment", integer, to="number"),
            Column("account_code"),
            Column("customer_code"),
            Column("order_number", required=False),
            Column("issue_date", date),
            Column("due_date", date),
            Column("amount", decimal),
        ),
        refs=(ACCOUNT, CUSTOMER, ORDER),
        derive=_installment_company,
    ),
    Kind(
        "commissions",
        Commission,
        key=("installment_id",),
        columns=(
            Column("invoice_number"),
            Column("installment", integer),
            Column("net_amount", decimal),
            Column("sale_type", choice(Commission.SaleType)),
            Column("status", choice(Commission.Status), required=False),
        ),
        refs=(INSTALLMENT,),
        derive=_commission_from_installment,
        on_create=_commission_starting_status,
        remember=_installment_account,
        after_file=_recount_commission_totals,
    ),
    Kind(
        "payments",
        Installment,
        key=("invoice_number", "number"),
        columns=(
            Column("invoice_number"),
            Column("installment", integer, to="number"),
            Column("paid_date", date),
            Column("paid_amount", decimal),
        ),
        creates=False,
        select_related=("commission",),
        after_save=_release_commission,
    ),
)

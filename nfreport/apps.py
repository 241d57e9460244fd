from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NfreportConfig(AppConfig):
    name = "nfreport"
    verbose_name = _("Service invoices")

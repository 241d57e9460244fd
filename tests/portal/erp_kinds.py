"""Kinds that no app declares, for the tests to register through settings.ERP_KINDS: a new kind
takes its declaration and an entry in the setting, never a change to the engine."""

from django.contrib.auth.models import Group

from portal.erp import Column, Kind

KINDS = (Kind("groups", Group, key=("name",), columns=(Column("name"),)),)

# A name that the orders app already declares.
CLASHING = (Kind("orders", Group, key=("name",), columns=(Column("name"),)),)

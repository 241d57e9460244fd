from dataclasses import dataclass

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from collaborators.models import Collaborator
from collaborators.modules import MODULE_DESCRIPTIONS, Module

_IS_ADMIN = Collaborator._meta.get_field("is_admin")


def modules_field(label):
    """The modules as checkboxes: the portal's edit page and the Django admin both use it."""
    return forms.MultipleChoiceField(
        label=label, choices=Module.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


def version_field():
    """The collaborator's `version` when the form was opened, so a stale save is refused."""
    return forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


@dataclass(frozen=True)
class ModuleGroup:
    """One card of "Permissões de acesso": a module, or the three of Comissões."""

    title: str
    description: str
    modules: tuple


# The seed's layout: Status de pedidos, Colaboradores, and Comissões with its three modules.
MODULE_GROUPS = (
    ModuleGroup(Module.ORDERS.label, MODULE_DESCRIPTIONS[Module.ORDERS], (Module.ORDERS,)),
    ModuleGroup(
        Module.COLLABORATORS.label,
        MODULE_DESCRIPTIONS[Module.COLLABORATORS],
        (Module.COLLABORATORS,),
    ),
    ModuleGroup(
        _("Commissions"),
        _(
            "Area of the portal for following and requesting commissions, "
            "with the option of generating reports."
        ),
        (Module.COMMISSIONS_TRACK, Module.COMMISSIONS_REQUEST, Module.NF_REPORT),
    ),
)


class AccessForm(forms.Form):
    """Editar permissões: the admin flag and the modules, as of the collaborator's version.

    `admin_lock` (a message, or None) says why the actor may not change the admin flag here. The
    checkbox is then disabled in the page, and the current value travels in a hidden input, so
    an unchanged form keeps it; a forged value still reaches the service, which refuses it.

    `manageable` holds the modules the actor may grant or revoke. Only those are checkboxes; the
    others are shown as information and are not posted: the form keeps them as they are stored,
    so no omission can revoke one. A forged box for one of them still reaches the service, which
    refuses it.
    """

    is_admin = forms.BooleanField(
        label=capfirst(_IS_ADMIN.verbose_name), help_text=_IS_ADMIN.help_text, required=False
    )
    modules = modules_field(_("Access permissions"))
    version = version_field()

    def __init__(
        self, *args, collaborator, admin_lock=None, read_only=False, manageable=None, **kwargs
    ):
        kwargs.setdefault(
            "initial",
            {
                "is_admin": collaborator.is_admin,
                "modules": sorted(collaborator.modules),
                "version": collaborator.version,
            },
        )
        super().__init__(*args, **kwargs)
        self.collaborator = collaborator
        self.read_only = read_only
        self.admin_lock = admin_lock
        self.manageable = frozenset(Module.values if manageable is None else manageable)
        self.fields["version"].error_messages["required"] = _(
            "This form is out of date; open the collaborator's page again."
        )
        self.fields["is_admin"].widget.attrs["class"] = "form-check-input"
        self.fields["modules"].widget.attrs["class"] = "form-check-input"
        if read_only or admin_lock:
            self.fields["is_admin"].widget.attrs["disabled"] = True
        described_by = [f"{self['is_admin'].auto_id}_helptext"]
        if admin_lock:
            described_by.append("admin-lock")
        self.fields["is_admin"].widget.attrs["aria-describedby"] = " ".join(described_by)

    def clean_modules(self):
        kept = self.collaborator.modules - self.manageable
        return sorted(set(self.cleaned_data["modules"]) | kept)

    def module_groups(self):
        """The modules grouped as MODULE_GROUPS, with their descriptions: for each, its checkbox
        if the actor may change it, or else whether it is granted."""
        boxes = {box.data["value"]: box for box in self["modules"]}
        for box in boxes.values():
            box.data["attrs"]["aria-describedby"] = f"{box.id_for_label}-description"
        granted = self.collaborator.modules
        return [
            {
                "title": group.title,
                "description": group.description,
                "items": [
                    {
                        "module": m,
                        "box": boxes[m.value] if m.value in self.manageable else None,
                        "granted": m.value in granted,
                        "description": MODULE_DESCRIPTIONS[m],
                        "id": f"module-{m.value}",
                    }
                    for m in group.modules
                ],
                "single": len(group.modules) == 1,
            }
            for group in MODULE_GROUPS
        ]

    def has_read_only_modules(self):
        return self.manageable != frozenset(Module.values)

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from collaborators.models import Collaborator, ModuleGrant
from collaborators.modules import Module
from portal.filters import PortalFilterSet

ADMIN, NO_ACCESS, DEACTIVATED = "admin", "none", "deactivated"


class CollaboratorFilterSet(PortalFilterSet):
    user = django_filters.CharFilter(label=_("By user data"), method="filter_user", max_length=150)
    access = django_filters.ChoiceFilter(
        label=_("By access"),
        method="filter_access",
        choices=[
            (ADMIN, _("Admin")),
            *Module.choices,
            (NO_ACCESS, _("No access")),
            (DEACTIVATED, _("Deactivated")),
        ],
        empty_label=_("Select"),
    )

    class Meta:
        model = Collaborator
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["user"].widget.attrs["placeholder"] = _("Search name or e-mail")

    def filter_user(self, queryset, name, value):
        return queryset.filter(Q(user__name__icontains=value) | Q(user__email__icontains=value))

    def filter_access(self, queryset, name, value):
        """Who has this access now: a module's list includes the administrators (who open every
        module) and leaves out deactivated collaborators (who open none)."""
        if value == DEACTIVATED:
            return queryset.filter(is_active=False)
        queryset = queryset.filter(is_active=True)
        if value == ADMIN:
            return queryset.filter(is_admin=True)
        grants = ModuleGrant.objects.filter(collaborator=OuterRef("pk"))
        if value == NO_ACCESS:
            return queryset.filter(is_admin=False).exclude(Exists(grants))
        return queryset.filter(Q(is_admin=True) | Q(Exists(grants.filter(module=value))))

import django_tables2 as tables
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from collaborators import services
from collaborators.models import Collaborator, ModuleGrant
from collaborators.modules import Module
from portal.tables import PortalTable
from portal.xlsx import Column

YES_NO = {True: _("Yes"), False: _("No")}
# A pencil, drawn inline: the portal ships no icon font.
PENCIL = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" '
    'fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" '
    'aria-hidden="true" focusable="false">'
    '<path d="M2 14l.8-3.2L11 2.6a1.4 1.4 0 0 1 2 0l.4.4a1.4 1.4 0 0 1 0 2L5.2 13.2z"/>'
    '<path d="M9.8 3.8l2.4 2.4"/></svg>'
)


def _module_column(module):
    return f"access_{module}"


class CollaboratorTable(PortalTable):
    name = tables.Column(
        verbose_name=_("Name"), accessor="user__name", order_by=("user__name", "user__email")
    )
    access = tables.Column(
        verbose_name=_("Access"), accessor="pk", orderable=False, empty_values=()
    )
    email = tables.Column(verbose_name=_("E-mail"), accessor="user__email")
    first_access = tables.DateTimeColumn(
        verbose_name=_("First access"), format="d/m/Y H:i", default="—"
    )
    last_access = tables.DateTimeColumn(
        verbose_name=_("Last access"), format="d/m/Y H:i", default="—"
    )
    actions = tables.Column(
        verbose_name=_("Actions"),
        accessor="pk",
        orderable=False,
        empty_values=(),
        attrs={"td": {"data-label": _("Actions"), "class": "text-nowrap"}},
    )

    # Access as one column per module: "Yes" where the collaborator may open it when active
    # (an administrator opens every module), so the report can be filtered in a spreadsheet.
    export_columns = (
        Column(_("Name"), "user__name"),
        Column(_("E-mail"), "user__email"),
        Column(_("Administrator"), "is_admin", "choice", YES_NO),
        *(Column(m.label, _module_column(m), "choice", YES_NO) for m in Module),
        Column(_("Active"), "is_active", "choice", YES_NO),
        Column(_("First access"), "first_access", "datetime"),
        Column(_("Last access"), "last_access", "datetime"),
    )

    class Meta(PortalTable.Meta):
        model = Collaborator
        fields = ()
        order_by = ("name",)
        empty_text = _("No collaborator matches these filters.")

    @classmethod
    def for_list(cls, queryset):
        return queryset.select_related("user").prefetch_related("grants")

    @classmethod
    def for_export(cls, queryset):
        return queryset.annotate(
            **{
                _module_column(m): ExpressionWrapper(
                    Q(is_admin=True)
                    | Q(Exists(ModuleGrant.objects.filter(collaborator=OuterRef("pk"), module=m))),
                    output_field=BooleanField(),
                )
                for m in Module
            }
        )

    def render_name(self, record):
        return record.user.name or "—"

    def render_access(self, record):
        badges = []
        if not record.is_active:
            badges.append(("text-bg-danger", _("Deactivated")))
        if record.is_admin:
            badges.append(("text-bg-dark", _("Admin")))
        else:
            granted = record.modules
            badges += [("portal-badge-module", m.label) for m in Module if m in granted]
            if not granted:
                badges.append(("text-bg-light border", _("No access")))
        return format_html(
            '<span class="d-inline-flex flex-wrap gap-1">{}</span>',
            format_html_join("", '<span class="badge {}">{}</span>', badges),
        )

    def render_actions(self, record):
        actor = getattr(getattr(self, "request", None), "collaborator", None)
        name = record.user.name or record.user.email
        edit = format_html(
            '<a class="btn btn-sm btn-outline-secondary portal-icon-button" href="{}" title="{}">'
            '{}<span class="visually-hidden">{}</span></a>',
            reverse("collaborators:edit", args=[record.pk]),
            _("Edit permissions"),
            mark_safe(PENCIL),
            _("Edit permissions of %(name)s") % {"name": name},
        )
        if not services.toggle_offered(actor=actor, collaborator=record):
            return edit
        if record.is_active:
            url, label, style = (
                reverse("collaborators:deactivate", args=[record.pk]),
                _("Deactivate access"),
                "btn-outline-danger",
            )
        else:
            url, label, style = (
                reverse("collaborators:reactivate", args=[record.pk]),
                _("Reactivate access"),
                "btn-outline-primary",
            )
        toggle = format_html(
            '<a class="btn btn-sm {}" href="{}">{}<span class="visually-hidden">: {}</span></a>',
            style,
            url,
            label,
            name,
        )
        return format_html('<span class="d-inline-flex gap-2">{}{}</span>', toggle, edit)

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from collaborators import services
from collaborators.access import ModuleRequiredMixin, module_required
from collaborators.filters import CollaboratorFilterSet
from collaborators.forms import AccessForm
from collaborators.models import AccessChange, Collaborator
from collaborators.modules import Module
from collaborators.tables import CollaboratorTable
from portal.lists import ListPageView
from portal.scoping import get_visible_or_404

HISTORY_LIMIT = 50


class CollaboratorListView(ModuleRequiredMixin, ListPageView):
    model = Collaborator
    module = Module.COLLABORATORS
    filterset_class = CollaboratorFilterSet
    table_class = CollaboratorTable
    template_name = "collaborators/collaborator_list.html"
    title = gettext_lazy("Collaborators")
    intro = gettext_lazy(
        "Listing and editing of the access permissions of the users of the Partner Portal."
    )
    filter_title = gettext_lazy("Filter collaborators")
    search_label = gettext_lazy("Search collaborators")
    row_hint = gettext_lazy("Use the pencil to edit a collaborator's permissions.")
    export_filename = "colaboradores"

    @property
    def new_user_url(self):
        """Where new users are registered: the notice links to it."""
        return settings.ECOMMERCE_NEW_USER_URL


def _collaborator(request, pk):
    """The reseller's collaborator `pk`; another reseller's answers 404."""
    return get_visible_or_404(
        Collaborator.objects.select_related("user").prefetch_related("grants"), request, pk=pk
    )


def _refused_status(refused):
    """A stale form is a conflict, a value that does not exist is bad input, any other refusal
    is a permission the actor lacks."""
    if isinstance(refused, services.ConcurrentChange):
        return 409
    if isinstance(refused, services.InvalidChange):
        return 400
    return 403


@module_required(Module.COLLABORATORS)
@require_http_methods(["GET", "POST"])
def collaborator_edit(request, pk):
    collaborator = _collaborator(request, pk)
    actor = request.collaborator
    status = 200
    if request.method == "POST":
        form = _access_form(actor, collaborator, data=request.POST)
        if form.is_valid():
            try:
                change = services.collaborator_update_access(
                    actor=actor,
                    collaborator=collaborator,
                    is_admin=form.cleaned_data["is_admin"],
                    modules=form.cleaned_data["modules"],
                    version=form.cleaned_data["version"],
                    request=request,
                )
            except services.AccessRefused as refused:
                # Show what is stored now, whatever was posted: that is what the user must review.
                messages.error(request, refused.message)
                collaborator = _collaborator(request, pk)
                form = _access_form(actor, collaborator)
                status = _refused_status(refused)
            else:
                if change is None:
                    messages.info(request, _("Nothing to update: the permissions are the same."))
                else:
                    messages.success(
                        request,
                        _("The permissions of %(name)s were updated.") % {"name": collaborator},
                    )
                return redirect("collaborators:edit", pk=collaborator.pk)
        else:
            status = 400
    else:
        form = _access_form(actor, collaborator)
    history = None
    if actor.is_admin:
        changes = list(
            AccessChange.objects.filter(collaborator=collaborator)
            .select_related("changed_by")
            .order_by("-changed_at", "-pk")[: HISTORY_LIMIT + 1]
        )
        history = {
            "rows": [_describe(change) for change in changes[:HISTORY_LIMIT]],
            "truncated": len(changes) > HISTORY_LIMIT,
            "limit": HISTORY_LIMIT,
        }
    return render(
        request,
        "collaborators/collaborator_form.html",
        {
            "collaborator": collaborator,
            "form": form,
            "history": history,
            "can_toggle": services.toggle_offered(actor=actor, collaborator=collaborator),
        },
        status=status,
    )


def _access_form(actor, collaborator, data=None):
    read_only = services.edit_refusal(actor=actor, collaborator=collaborator)
    admin_lock = None
    if not read_only:
        # Would unticking (or ticking) the box be refused? Then the box is not offered.
        admin_lock = services.admin_change_refusal(
            actor=actor, collaborator=collaborator, is_admin=not collaborator.is_admin
        )
    return AccessForm(
        data,
        collaborator=collaborator,
        read_only=read_only,
        admin_lock=admin_lock,
        manageable=services.manageable_modules(actor=actor, collaborator=collaborator),
    )


@module_required(Module.COLLABORATORS)
@require_http_methods(["GET", "POST"])
def collaborator_deactivate(request, pk):
    return _toggle(
        request,
        pk,
        refusal=services.deactivation_refusal,
        action=services.collaborator_deactivate,
        texts={
            "title": _("Deactivate access"),
            "question": _(
                "Deactivate the access of %(name)s? They will be signed out at their next "
                "request and cannot log in to the Partner Portal until their access is "
                "reactivated. Their permissions are kept."
            ),
            "button": _("Deactivate access"),
            "done": _("The access of %(name)s was deactivated."),
        },
        danger=True,
    )


@module_required(Module.COLLABORATORS)
@require_http_methods(["GET", "POST"])
def collaborator_reactivate(request, pk):
    return _toggle(
        request,
        pk,
        refusal=services.reactivation_refusal,
        action=services.collaborator_reactivate,
        texts={
            "title": _("Reactivate access"),
            "question": _(
                "Reactivate the access of %(name)s? They will be able to log in again, with "
                "the permissions they had."
            ),
            "button": _("Reactivate access"),
            "done": _("The access of %(name)s was reactivated."),
        },
        danger=False,
    )


def _toggle(request, pk, *, refusal, action, texts, danger):
    """GET asks "are you sure?" (or says why not); POST does it. GET never changes anything."""
    collaborator = _collaborator(request, pk)
    actor = request.collaborator
    status = 200
    if request.method == "POST":
        try:
            action(actor=actor, collaborator=collaborator, request=request)
        except services.AccessRefused as refused:
            messages.error(request, refused.message)
            collaborator = _collaborator(request, pk)
            status = _refused_status(refused)
        else:
            messages.success(request, texts["done"] % {"name": collaborator})
            return redirect("collaborators:list")
    return render(
        request,
        "collaborators/collaborator_confirm.html",
        {
            "collaborator": collaborator,
            "title": texts["title"],
            "question": texts["question"] % {"name": collaborator},
            "button": texts["button"],
            "danger": danger,
            "refusal": refusal(actor=actor, collaborator=collaborator),
        },
        status=status,
    )


# The access history, in words ------------------------------------------------------------------

REASONS = {
    "first login": gettext_lazy("First login"),
    services.REASON_UPDATED: gettext_lazy("Permissions updated"),
    services.REASON_DEACTIVATED: gettext_lazy("Access deactivated"),
    services.REASON_REACTIVATED: gettext_lazy("Access reactivated"),
    "Django admin": gettext_lazy("Changed by the distributor"),
    "moved to another reseller by the e-commerce store": gettext_lazy(
        "Moved to this reseller by the e-commerce store"
    ),
}


def _yes_no(value):
    if value is None:
        return "—"
    return _("Yes") if value else _("No")


def _modules(codes):
    if codes is None:
        return "—"
    labels = [str(Module(c).label) if c in Module.values else c for c in codes]
    return ", ".join(labels) or _("None")


FIELDS = (
    ("is_admin", gettext_lazy("Administrator"), _yes_no),
    ("modules", gettext_lazy("Modules"), _modules),
    ("is_active", gettext_lazy("Active"), _yes_no),
)  # not "reseller": a move's record names the previous reseller, which is not this one's business


def _describe(change):
    """One history row: who, when, why, and each field that changed as "before → after"."""
    before, after = change.before or {}, change.after or {}
    fields = []
    for key, label, show in FIELDS:
        if key not in before and key not in after:
            continue
        old, new = before.get(key), after.get(key)
        if before and old == new:
            continue
        fields.append({"label": label, "before": show(old) if before else None, "after": show(new)})
    return {
        "at": change.changed_at,
        "by": change.changed_by,
        # Changes from the Django admin are the distributor's; the reseller may not know the name.
        "by_distributor": change.changed_by is not None and change.changed_by.is_staff,
        "reason": REASONS.get(change.reason, change.reason),
        "fields": fields,
    }

"""Every `visible_to(user)` narrows to the user's reseller through this one function."""

from django.http import Http404

from portal import security


def reseller_scope(queryset, user, path):
    """Rows whose `path` is the user's reseller id; none for anyone but a reseller user."""
    collaborator = getattr(user, "collaborator", None) if user.is_authenticated else None
    if collaborator is None:
        return queryset.none()
    return queryset.filter(**{path: collaborator.reseller_id})


def get_visible_or_404(queryset, request, **lookup):
    """The one object of `queryset` (a model's queryset) that `request.user` may see.

    Another reseller's object answers 404 exactly as a missing one does, so the answer never
    confirms that it exists; only the security log tells the two apart.
    """
    try:
        return queryset.visible_to(request.user).get(**lookup)
    except queryset.model.DoesNotExist:
        if queryset.model._default_manager.filter(**lookup).exists():
            security.event(
                "other_reseller_object",
                request,
                model=queryset.model._meta.label,
                lookup={key: str(value) for key, value in lookup.items()},
            )
        raise Http404 from None

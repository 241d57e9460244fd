"""Every `visible_to(user)` narrows to the user's reseller through this one function."""


def reseller_scope(queryset, user, path):
    """Rows whose `path` is the user's reseller id; none for anyone but a reseller user."""
    collaborator = getattr(user, "collaborator", None) if user.is_authenticated else None
    if collaborator is None:
        return queryset.none()
    return queryset.filter(**{path: collaborator.reseller_id})

"""The one access check: a view names the module it needs; menus and tiles ask the same question."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def required_module(view):
    """The module a routed view declares (`module_required` or `ModuleRequiredMixin`), or None."""
    view_class = getattr(view, "view_class", None)
    return getattr(view, "required_module", None) or getattr(view_class, "module", None)


def collaborator_of(user):
    """The active user's collaborator record, or None (anonymous, staff, orphan)."""
    if not user.is_authenticated:
        return None
    return getattr(user, "collaborator", None)


def can_open(user, module):
    collaborator = collaborator_of(user)
    return collaborator is not None and collaborator.can_open(module)


def check_access(request, module=None):
    """None when the request may go on; otherwise the response or exception that answers it.

    Anonymous users go to the login page. A reseller user without the module, and anyone who
    is not a reseller user, get 403. Objects of another reseller are handled by `visible_to`,
    which answers 404.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    collaborator = collaborator_of(request.user)
    if collaborator is None or not collaborator.is_active:
        raise PermissionDenied
    if module is not None and not collaborator.can_open(module):
        raise PermissionDenied
    return None


def module_required(module):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            return check_access(request, module) or view(request, *args, **kwargs)

        wrapped.required_module = module
        return wrapped

    return decorator


def collaborator_required(view):
    """For pages every reseller user may open, such as the home page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return check_access(request) or view(request, *args, **kwargs)

    return wrapped


class ModuleRequiredMixin:
    module = None

    def dispatch(self, request, *args, **kwargs):
        return check_access(request, self.module) or super().dispatch(request, *args, **kwargs)

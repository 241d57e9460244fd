from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from collaborators.access import can_open, collaborator_required
from portal import dashboard


def home(request):
    if request.user.is_authenticated and request.user.is_staff and not request.collaborator:
        return redirect("admin:index")
    return _home(request)


@collaborator_required
def _home(request):
    collaborator = request.collaborator
    if not collaborator.has_any_module():
        return render(request, "portal/welcome.html")
    return render(
        request,
        "portal/home.html",
        {
            "tiles": dashboard.home_tiles(request, may_open=can_open),
            "charts": dashboard.home_charts(request),
        },
    )


@require_safe
def healthz(request):
    """The load balancer's health check: answers without the database or a session, over plain
    http too (SECURE_REDIRECT_EXEMPT), so a worker that can serve at all says so."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")

from django.shortcuts import redirect, render

from collaborators.access import collaborator_required
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
            "tiles": dashboard.tiles_for(request),
            "chart": dashboard.order_chart(request),
            "commission_chart": dashboard.commission_chart(request),
        },
    )

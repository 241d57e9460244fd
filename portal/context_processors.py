from django.conf import settings

from portal.menu import footer_links, menu_for


def portal(request):
    collaborator = getattr(request, "collaborator", None)
    return {
        "collaborator": collaborator,
        "menu": menu_for(collaborator, request.path) if collaborator else [],
        "footer_links": footer_links(),
        "ecommerce_password_reset_url": settings.ECOMMERCE_PASSWORD_RESET_URL,
    }

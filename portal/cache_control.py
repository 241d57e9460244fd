"""No cache, shared or local, keeps a copy of what a signed-in user saw or downloaded."""

from django.utils.cache import patch_cache_control


class PrivateNoStoreMiddleware:
    """Sends `Cache-Control: private, no-store` with every response to a signed-in user and with
    every file download, whoever asked.

    A proxy or a shared computer's browser cache would otherwise keep a reseller's orders, an xlsx
    report or an NF-e after the user has signed out. The check is made here, once, rather than
    in each view, so a new view is covered the day it is routed. A request that signs the user
    in or out counts as signed in: its response belongs to the user too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        if signed_in or request.user.is_authenticated or response.has_header("Content-Disposition"):
            patch_cache_control(response, private=True, no_store=True)
        return response

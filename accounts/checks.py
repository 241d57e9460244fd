"""Startup checks of the e-commerce store settings: a misconfigured store must stop the deploy,
not surface as "service unavailable" at the first login."""

from django.conf import settings
from django.core import checks

from accounts.store import STORES, url_problems


@checks.register(checks.Tags.security)
def ecommerce_store_settings(app_configs, **kwargs):
    if settings.ECOMMERCE_STORE not in STORES:
        return [
            checks.Error(
                f"ECOMMERCE_STORE must be one of {', '.join(sorted(STORES))}.",
                id="accounts.E001",
            )
        ]
    if settings.ECOMMERCE_STORE != "http":
        return []
    errors = [
        checks.Error(message, id=f"accounts.{code}")
        for code, message in url_problems(
            settings.ECOMMERCE_AUTH_URL, allow_http=settings.ECOMMERCE_ALLOW_HTTP
        )
    ]
    if not settings.ECOMMERCE_TIMEOUT > 0:
        errors.append(
            checks.Error(
                "ECOMMERCE_TIMEOUT must be a positive number of seconds.", id="accounts.E006"
            )
        )
    return errors

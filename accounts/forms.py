import logging

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.backends import CollaboratorDeactivated
from accounts.store import StoreError
from portal import security

STORE_UNAVAILABLE = _(
    "The authentication service is unavailable right now. Please try again in a few minutes."
)
DEACTIVATED = _(
    "Your access to the portal is deactivated. Ask your reseller's administrator to reactivate it."
)


class LoginForm(AllauthLoginForm):
    """allauth's login form with the seed's labels and the store's failure modes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("User name")
        self.fields["login"].widget.attrs.update(
            {"placeholder": _("Your e-commerce user"), "autocomplete": "username"}
        )
        self.fields["password"].label = _("Password")
        self.fields["password"].help_text = ""
        self.fields["password"].widget.attrs["placeholder"] = ""
        self.fields.pop("remember", None)

    def clean(self):
        # The backend raises these through Django's authenticate() and allauth; caught here they
        # become the page's message instead of a 500. allauth has already counted the attempt
        # against "login_failed", so a broken store is not hammered without bound either.
        try:
            return super().clean()
        except StoreError:
            self._failed("store_unavailable")
            raise ValidationError(STORE_UNAVAILABLE, code="store_unavailable") from None
        except CollaboratorDeactivated:
            self._failed("deactivated")
            raise ValidationError(DEACTIVATED, code="deactivated") from None

    def _failed(self, reason):
        # A wrong password is logged by the adapter's authentication_failed().
        security.event(
            "login_failed", self.request, login=self.cleaned_data.get("login"), reason=reason
        )

    def login(self, request, redirect_url=None):
        # The page has no "remember me" box, but with ACCOUNT_SESSION_REMEMBER = None allauth
        # reads one: the session ends with the browser.
        self.cleaned_data.setdefault("remember", False)
        return super().login(request, redirect_url=redirect_url)


class StaffLoginForm(AdminAuthenticationForm):
    """The Django admin's login: local passwords only, behind the portal's rate limits."""

    username = forms.EmailField(label=_("E-mail"))

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            adapter = get_adapter(self.request)
            # Consumes the same "login_failed" budget as the portal's login; raises when spent.
            adapter.pre_authenticate(self.request, email=email, password=password)
            user = ModelBackend().authenticate(self.request, username=email, password=password)
            if user is None:
                adapter.authentication_failed(self.request, email=email)
                raise self.get_invalid_login_error()
            adapter._rollback_login_failed_rl_usage()
            user.backend = "django.contrib.auth.backends.ModelBackend"
            self.user_cache = user
            try:
                self.confirm_login_allowed(user)
            except ValidationError:
                security.event("login_failed", self.request, login=email, reason="not_staff")
                raise
            security.event("login_succeeded", self.request, level=logging.INFO, user=user)
        return self.cleaned_data

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.fields import CNPJField
from portal.scoping import reseller_scope


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("Users need an e-mail.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            # Reseller users never get a local password: the e-commerce store authenticates them.
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("staff"), default=False, help_text=_("Distributor staff: may use the Django admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return (self.name or self.email).split()[0]


class ResellerQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "pk")


class Reseller(models.Model):
    """The reseller company (revenda), identified by its head-office CNPJ."""

    cnpj = CNPJField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("code"), max_length=20, unique=True, help_text=_("Main e-commerce customer code.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ResellerQuerySet.as_manager()

    class Meta:
        verbose_name = _("reseller")
        verbose_name_plural = _("resellers")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class ResellerAccountQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "reseller_id")


class ResellerAccount(models.Model):
    """One ERP customer code of a reseller; orders and commissions belong to an account."""

    reseller = models.ForeignKey(
        Reseller, verbose_name=_("reseller"), on_delete=models.PROTECT, related_name="accounts"
    )
    code = models.CharField(_("ERP code"), max_length=20, unique=True)
    cnpj = CNPJField()
    name = models.CharField(_("name"), max_length=200)

    objects = ResellerAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("reseller account")
        verbose_name_plural = _("reseller accounts")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.name}"


class EcommerceUser(models.Model):
    """The local e-commerce user store, for the demo and development
    (docs/architecture.md#integrations).

    In production the HTTP store answers instead and this table stays empty.
    """

    login = models.EmailField(_("login"), unique=True)
    password = models.CharField(_("password"), max_length=128)
    name = models.CharField(_("name"), max_length=150)
    reseller = models.ForeignKey(
        Reseller, verbose_name=_("reseller"), on_delete=models.CASCADE, related_name="+"
    )
    is_admin = models.BooleanField(_("e-commerce admin"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    is_locked = models.BooleanField(_("locked"), default=False)

    class Meta:
        verbose_name = _("e-commerce user (local store)")
        verbose_name_plural = _("e-commerce users (local store)")
        ordering = ["login"]

    def __str__(self):
        return self.login

    def set_password(self, raw_password):
        self.password = make_password(raw_password)

    def check_password(self, raw_password):
        return check_password(raw_password, self.password)

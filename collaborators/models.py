from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collaborators.modules import Module
from portal.scoping import reseller_scope


class CollaboratorQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "reseller_id")

    def active_admins(self):
        return self.filter(is_admin=True, is_active=True)


class Collaborator(models.Model):
    """A portal user of one reseller, with the modules they may open."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="collaborator",
    )
    reseller = models.ForeignKey(
        "accounts.Reseller",
        verbose_name=_("reseller"),
        on_delete=models.PROTECT,
        related_name="collaborators",
    )
    is_admin = models.BooleanField(
        _("administrator access"),
        default=False,
        help_text=_(
            "Unrestricted access to every area of the Partner Portal. "
            "Only another administrator can revoke it."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    first_access = models.DateTimeField(_("first access"), null=True, blank=True)
    last_access = models.DateTimeField(_("last access"), null=True, blank=True)
    # Bumped on every permission change, so two admins saving at once can be told apart.
    version = models.PositiveIntegerField(default=0)

    objects = CollaboratorQuerySet.as_manager()

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        ordering = ["user__name", "user__email"]
        indexes = [models.Index(fields=["reseller", "is_active"])]

    def __str__(self):
        return str(self.user)

    @property
    def modules(self):
        """The module codes granted, cached per instance."""
        if not hasattr(self, "_modules"):
            if "grants" in getattr(self, "_prefetched_objects_cache", {}):
                self._modules = frozenset(g.module for g in self.grants.all())
            else:
                self._modules = frozenset(self.grants.values_list("module", flat=True))
        return self._modules

    def can_open(self, module):
        if not self.is_active:
            return False
        return self.is_admin or module in self.modules

    def has_any_module(self):
        return self.is_active and (self.is_admin or bool(self.modules))

    def set_modules(self, modules):
        modules = {Module(m) for m in modules}
        self.grants.exclude(module__in=modules).delete()
        have = set(self.grants.values_list("module", flat=True))
        ModuleGrant.objects.bulk_create(
            ModuleGrant(collaborator=self, module=m) for m in modules - have
        )
        self.__dict__.pop("_modules", None)


class ModuleGrant(models.Model):
    collaborator = models.ForeignKey(
        Collaborator,
        verbose_name=_("collaborator"),
        on_delete=models.CASCADE,
        related_name="grants",
    )
    module = models.CharField(_("module"), max_length=30, choices=Module.choices)

    class Meta:
        verbose_name = _("module grant")
        verbose_name_plural = _("module grants")
        constraints = [
            models.UniqueConstraint(fields=["collaborator", "module"], name="unique_module_grant")
        ]
        indexes = [models.Index(fields=["module"])]

    def __str__(self):
        return f"{self.collaborator}: {self.get_module_display()}"


class AccessChange(models.Model):
    """Every change to a collaborator's access: who, whom, when, before and after."""

    collaborator = models.ForeignKey(
        Collaborator,
        verbose_name=_("collaborator"),
        on_delete=models.CASCADE,
        related_name="access_changes",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.collaborator} @ {self.changed_at:%Y-%m-%d %H:%M}"

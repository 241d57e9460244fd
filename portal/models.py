from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class StatusChangeQuerySet(models.QuerySet):
    def for_object(self, obj):
        ct = ContentType.objects.get_for_model(obj)
        return self.filter(content_type=ct, object_id=obj.pk).select_related("changed_by")


class StatusChange(models.Model):
    """One move of one lifecycle: who, when and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    field = models.CharField(_("field"), max_length=40, default="status")
    from_status = models.CharField(_("from"), max_length=40, blank=True)
    to_status = models.CharField(_("to"), max_length=40)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "changed_at"]),
            # The admin's history list, newest first, over every lifecycle's moves.
            models.Index(fields=["changed_at"]),
        ]

    def __str__(self):
        return f"{self.from_status or '∅'} → {self.to_status}"

    @classmethod
    def record(cls, obj, *, field, frm, to, by=None, reason=""):
        return cls.objects.create(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            field=field,
            from_status=frm or "",
            to_status=to,
            changed_by=by if getattr(by, "pk", None) else None,
            reason=reason,
        )

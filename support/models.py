from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.scoping import reseller_scope


class ConversationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "reseller_id")


class Conversation(models.Model):
    """A live-chat conversation between a reseller user and the distributor's support team."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    reseller = models.ForeignKey(
        "accounts.Reseller",
        verbose_name=_("reseller"),
        on_delete=models.CASCADE,
        related_name="conversations",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.CASCADE,
        related_name="conversations",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self):
        return f"#{self.pk} {self.started_by}"


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "conversation__reseller_id")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["sent_at", "pk"]

    def __str__(self):
        return self.body[:50]


class FaqEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(is_published=True)


class FaqEntry(models.Model):
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    position = models.PositiveIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("published"), default=True)

    objects = FaqEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.question


class MeetingRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        return reseller_scope(self, user, "reseller_id")


class MeetingRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    reseller = models.ForeignKey(
        "accounts.Reseller", verbose_name=_("reseller"), on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    topic = models.CharField(_("topic"), max_length=200)
    preferred_at = models.DateTimeField(_("preferred date and time"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = MeetingRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting request")
        verbose_name_plural = _("meeting requests")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.topic} ({self.preferred_at:%Y-%m-%d})"

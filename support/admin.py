from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.filters import reseller_filter
from portal.admin import PortalModelAdmin
from support.models import Conversation, FaqEntry, MeetingRequest, Message


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("sent_at", "author", "body")
    readonly_fields = ("sent_at", "author")
    extra = 0


@admin.register(Conversation)
class ConversationAdmin(PortalModelAdmin):
    list_display = ("__str__", "reseller", "started_by", "status", "created_at")
    list_filter = ("status", reseller_filter("reseller"), "created_at")
    search_fields = ("reseller__name", "reseller__code", "started_by__email", "started_by__name")
    list_select_related = ("reseller", "started_by")
    autocomplete_fields = ("reseller", "started_by")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    inlines = [MessageInline]

    def save_formset(self, request, form, formset, change):
        # A message written here is the staff member's own answer.
        for message in formset.save(commit=False):
            if message.pk is None:
                message.author = request.user
            message.save()
        for message in formset.deleted_objects:
            message.delete()
        formset.save_m2m()


@admin.register(Message)
class MessageAdmin(PortalModelAdmin):
    list_display = ("sent_at", "conversation", "author", "excerpt")
    list_filter = ("sent_at", reseller_filter("conversation__reseller"))
    search_fields = ("body", "author__email")
    list_select_related = ("conversation__started_by", "author")
    autocomplete_fields = ("conversation", "author")
    readonly_fields = ("sent_at",)
    date_hierarchy = "sent_at"
    ordering = ("-pk",)
    show_full_result_count = False

    @admin.display(description=_("message"))
    def excerpt(self, obj):
        return Truncator(obj.body).chars(80)


@admin.register(FaqEntry)
class FaqEntryAdmin(PortalModelAdmin):
    list_display = ("question", "position", "is_published")
    list_editable = ("position", "is_published")
    list_filter = ("is_published",)
    search_fields = ("question", "answer")


@admin.register(MeetingRequest)
class MeetingRequestAdmin(PortalModelAdmin):
    list_display = ("topic", "reseller", "requested_by", "preferred_at", "status", "created_at")
    list_filter = ("status", reseller_filter("reseller"), "preferred_at", "created_at")
    search_fields = ("topic", "reseller__name", "reseller__code", "requested_by__email")
    list_select_related = ("reseller", "requested_by")
    autocomplete_fields = ("reseller", "requested_by")
    readonly_fields = ("created_at",)
    date_hierarchy = "preferred_at"

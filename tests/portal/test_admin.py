"""The Django admin: every model opens for staff, histories are read-only, statuses move only
through lifecycle actions, and reseller users are kept out."""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from collaborators import services
from collaborators.models import AccessChange, Collaborator, ModuleGrant
from collaborators.modules import Module
from commissions.models import Commission
from nfreport.models import ServiceInvoice
from orders.models import DeliveryEvent
from portal.models import StatusChange
from support.models import Conversation, FaqEntry, MeetingRequest, Message
from tests.factories import (
    CollaboratorFactory,
    CommissionFactory,
    CommissionRequestFactory,
    DeliveryFactory,
    EcommerceUserFactory,
    InstallmentFactory,
    InvoiceFactory,
    OrderFactory,
    OrderLineFactory,
    ResellerAccountFactory,
    UserFactory,
)

C = Commission.Status
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.fixture
def staff(client_for, stella):
    return client_for(stella)


@pytest.fixture
def one_of_each(alice, stella):
    """At least one row of every model the admin shows, all of reseller A."""
    reseller = alice.reseller
    account = ResellerAccountFactory(reseller=reseller)
    CollaboratorFactory(reseller=reseller, modules=[Module.ORDERS])
    AccessChange.objects.create(
        collaborator=alice, changed_by=None, after={"is_admin": True}, reason="first login"
    )
    EcommerceUserFactory(reseller=reseller)
    order = OrderFactory(account=account)
    OrderLineFactory(order=order)
    InvoiceFactory(order=order)
    delivery = DeliveryFactory(order=order)
    DeliveryEvent.objects.create(
        delivery=delivery, occurred_at=timezone.now(), description="Objeto postado"
    )
    commission = CommissionFactory(installment=InstallmentFactory(account=account, order=order))
    commission.transition_to(C.RELEASED, by=stella, reason="payment identified")
    request = CommissionRequestFactory(reseller=reseller, created_by=alice.user)
    ServiceInvoice.objects.create(
        request=request, number="4711", amount=Decimal("120.50"), pdf="service-invoices/1/a.pdf"
    )
    conversation = Conversation.objects.create(reseller=reseller, started_by=alice.user)
    Message.objects.create(conversation=conversation, author=alice.user, body="Olá, suporte")
    FaqEntry.objects.create(question="Como solicito comissões?", answer="Pelo menu Comissões.")
    MeetingRequest.objects.create(
        reseller=reseller,
        requested_by=alice.user,
        topic="Plano de vendas",
        preferred_at=timezone.now() + dt.timedelta(days=3),
    )
    Group.objects.create(name="Financeiro")
    EmailAddress.objects.create(user=alice.user, email=alice.user.email, primary=True)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def change_form_data(response):
    """What the browser would post back from a rendered change form, untouched."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(v) for v in value]
            elif value is not None:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_staff_can_open_every_admin_page(staff, stella, one_of_each, model):
    model_admin = admin.site._registry[model]
    changelist = admin_url(model, "changelist")

    assert staff.get(changelist).status_code == 200
    assert staff.get(changelist, {"q": "x"}).status_code == 200

    # Each list filter's first real choice; a bad lookup would redirect to "?e=1".
    cl = staff.get(changelist).context["cl"]
    for spec in cl.filter_specs:
        choices = [c for c in spec.choices(cl) if not c["selected"]]
        if choices:
            response = staff.get(changelist + choices[0]["query_string"])
            assert response.status_code == 200, (spec.title, choices[0]["query_string"])

    request = RequestFactory().get(changelist)
    request.user = stella
    expected_add = 200 if model_admin.has_add_permission(request) else 403
    assert staff.get(admin_url(model, "add")).status_code == expected_add

    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"one_of_each should make a {model._meta.label} for this test"
    assert staff.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.django_db
def test_every_lifecycle_model_shows_its_history_and_a_read_only_status():
    lifecycle_models = [m for m in REGISTERED if hasattr(m, "lifecycle")]
    assert {m.__name__ for m in lifecycle_models} == {
        "Order",
        "Delivery",
        "Commission",
        "CommissionRequest",
        "ServiceInvoice",
    }
    request = RequestFactory().get("/")
    for model in lifecycle_models:
        model_admin = admin.site._registry[model]
        obj = model()
        assert "status" in model_admin.get_readonly_fields(request, obj)
        inline_models = [i.model for i in model_admin.get_inlines(request, obj)]
        assert StatusChange in inline_models, model


@pytest.mark.django_db
def test_status_history_inline_is_read_only(staff, stella):
    commission = CommissionFactory()
    commission.transition_to(C.RELEASED, by=stella, reason="pagamento identificado")

    response = staff.get(admin_url(Commission, "change", commission.pk))

    [history] = [
        i for i in response.context["inline_admin_formsets"] if i.opts.model is StatusChange
    ]
    assert history.has_view_permission
    assert not history.has_add_permission
    assert not history.has_change_permission
    assert not history.has_delete_permission
    assert "pagamento identificado" in response.text
    assert "Stella Souza" in response.text


@pytest.mark.django_db
def test_posting_the_change_form_cannot_move_the_status_or_rewrite_history(staff, stella):
    commission = CommissionFactory()
    commission.transition_to(C.RELEASED, by=stella, reason="pagamento identificado")
    url = admin_url(Commission, "change", commission.pk)
    data = change_form_data(staff.get(url))
    data["status"] = C.PAID
    data["payment_document"] = "DOC-1"
    history_prefix = next(k for k in data if k.endswith("-TOTAL_FORMS") and "statuschange" in k)
    prefix = history_prefix.removesuffix("-TOTAL_FORMS")
    data[f"{prefix}-0-reason"] = "forged"
    data[f"{prefix}-0-DELETE"] = "on"
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    data[f"{prefix}-1-to_status"] = C.PAID

    response = staff.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    commission.refresh_from_db()
    assert commission.payment_document == "DOC-1"  # the form itself was saved
    assert commission.status == C.RELEASED
    [change] = StatusChange.objects.for_object(commission)
    assert (change.to_status, change.reason) == (C.RELEASED, "pagamento identificado")


@pytest.mark.django_db
def test_release_action_records_who_and_why(staff, stella):
    commission = CommissionFactory(status=C.PROVISIONED)

    response = staff.post(
        admin_url(Commission, "changelist"),
        {
            "action": "transition_to_released",
            "_selected_action": [commission.pk],
            "reason": "Pagamento da parcela identificado",
            "index": "0",
        },
    )

    assert response.status_code == 302
    commission.refresh_from_db()
    assert commission.status == C.RELEASED
    [change] = StatusChange.objects.for_object(commission)
    assert change.changed_by == stella
    assert (change.from_status, change.to_status) == (C.PROVISIONED, C.RELEASED)
    assert change.reason == "Pagamento da parcela identificado"
    assert [level for level, _ in messages_of(response)] == ["success"]


@pytest.mark.django_db
def test_an_action_without_a_reason_records_that_it_came_from_the_admin(staff):
    order = OrderFactory()
    staff.post(
        admin_url(order, "changelist"),
        {"action": "transition_to_cancelled", "_selected_action": [order.pk], "index": "0"},
    )
    change = StatusChange.objects.for_object(order).get()
    assert change.to_status == "cancelled"
    assert change.reason  # never empty: the history always says why


@pytest.mark.django_db
def test_an_illegal_action_shows_an_error_and_changes_nothing(staff):
    paid = CommissionFactory(status=C.PAID)

    response = staff.post(
        admin_url(Commission, "changelist"),
        {"action": "transition_to_released", "_selected_action": [paid.pk], "index": "0"},
        follow=True,
    )

    assert response.status_code == 200
    levels = [m.level_tag for m in response.context["messages"]]
    assert levels == ["error"]
    paid.refresh_from_db()
    assert paid.status == C.PAID
    assert not StatusChange.objects.for_object(paid).exists()


@pytest.mark.django_db
def test_an_action_moves_the_legal_ones_and_reports_the_others(staff):
    provisioned = CommissionFactory(status=C.PROVISIONED)
    cancelled = CommissionFactory(status=C.CANCELLED)

    response = staff.post(
        admin_url(Commission, "changelist"),
        {
            "action": "transition_to_released",
            "_selected_action": [provisioned.pk, cancelled.pk],
            "index": "0",
        },
    )

    assert sorted(level for level, _ in messages_of(response)) == ["error", "success"]
    provisioned.refresh_from_db()
    cancelled.refresh_from_db()
    assert (provisioned.status, cancelled.status) == (C.RELEASED, C.CANCELLED)


@pytest.mark.django_db
def test_putting_on_hold_from_the_admin_needs_a_reason(staff):
    commission = CommissionFactory(status=C.PROVISIONED)
    url = admin_url(Commission, "changelist")
    action = {"action": "transition_to_on_hold", "_selected_action": [commission.pk], "index": 0}

    response = staff.post(url, action)
    assert [level for level, _ in messages_of(response)] == ["error"]
    commission.refresh_from_db()
    assert commission.status == C.PROVISIONED

    staff.post(url, {**action, "reason": "Venda para governo: aguarda compliance"})
    commission.refresh_from_db()
    assert commission.status == C.ON_HOLD
    assert commission.hold_reason == "Venda para governo: aguarda compliance"


@pytest.mark.django_db
def test_access_history_inline_is_read_only(staff, alice):
    AccessChange.objects.create(collaborator=alice, after={"is_admin": True}, reason="first login")

    response = staff.get(admin_url(Collaborator, "change", alice.pk))

    [history] = [
        i for i in response.context["inline_admin_formsets"] if i.opts.model is AccessChange
    ]
    assert not history.has_add_permission
    assert not history.has_change_permission
    assert not history.has_delete_permission
    assert "first login" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("model", [AccessChange, ModuleGrant, StatusChange])
def test_audit_models_cannot_be_written_in_the_admin(staff, model):
    assert staff.get(admin_url(model, "add")).status_code == 403


@pytest.mark.django_db
def test_granting_a_module_in_the_admin_is_recorded(staff, stella, bob):
    url = admin_url(Collaborator, "change", bob.pk)
    data = change_form_data(staff.get(url))
    data["modules"] = [Module.ORDERS]

    response = staff.post(url, data)

    assert response.status_code == 302
    assert set(ModuleGrant.objects.filter(collaborator=bob).values_list("module", flat=True)) == {
        Module.ORDERS
    }
    change = AccessChange.objects.get(collaborator=bob)
    assert change.changed_by == stella
    assert change.before["modules"] == []
    assert change.after["modules"] == [Module.ORDERS]
    bob.refresh_from_db()
    assert bob.version == 1


# Collaborators' access in the admin: the portal's service, lock and rules ----------------------


def post_collaborator(staff, collaborator, **changes):
    """Opens the collaborator's change form, changes some fields and posts it back."""
    url = admin_url(Collaborator, "change", collaborator.pk)
    data = change_form_data(staff.get(url))
    for field, value in changes.items():
        if value is True:
            data[field] = "on"
        elif value is False:
            data.pop(field, None)
        else:
            data[field] = value
    return staff.post(url, data)


def access_of(collaborator):
    collaborator = Collaborator.objects.get(pk=collaborator.pk)
    return collaborator.is_admin, collaborator.is_active, sorted(collaborator.modules)


@pytest.mark.django_db
def test_staff_cannot_demote_a_resellers_last_admin_in_the_admin(staff, alice, charlie):
    response = post_collaborator(staff, alice, is_admin=False, modules=[Module.ORDERS])

    assert response.status_code == 302
    [(level, message)] = messages_of(response)
    assert level == "error" and "Alice Almeida" in message
    assert access_of(alice) == (True, True, [])  # not even the module
    assert not AccessChange.objects.filter(collaborator=alice).exists()
    assert Collaborator.objects.get(pk=alice.pk).version == alice.version


@pytest.mark.django_db
def test_staff_cannot_deactivate_a_resellers_last_admin_in_the_admin(staff, alice):
    response = post_collaborator(staff, alice, is_active=False)

    assert [level for level, _ in messages_of(response)] == ["error"]
    assert access_of(alice) == (True, True, [])
    assert not AccessChange.objects.filter(collaborator=alice).exists()


@pytest.mark.django_db
def test_staff_may_demote_an_admin_who_is_not_the_last_one(staff, stella, alice, reseller_a):
    other = CollaboratorFactory(reseller=reseller_a, is_admin=True)
    response = post_collaborator(staff, other, is_admin=False, is_active=False)

    assert response.status_code == 302
    assert [level for level, _ in messages_of(response)] == ["success"]
    assert access_of(other) == (False, False, [])
    changes = AccessChange.objects.filter(collaborator=other).order_by("pk")
    assert [(c.reason, c.changed_by) for c in changes] == [
        ("permissions updated", stella),
        ("deactivated", stella),
    ]
    assert Collaborator.objects.get(pk=other.pk).version == 2


@pytest.mark.django_db
def test_staff_reactivate_and_grant_in_one_save(staff, alice, reseller_a):
    gone = CollaboratorFactory(reseller=reseller_a, is_active=False, modules=[Module.ORDERS])
    response = post_collaborator(staff, gone, is_active=True, modules=[Module.NF_REPORT])

    assert response.status_code == 302
    assert access_of(gone) == (False, True, [Module.NF_REPORT])
    assert [c.reason for c in AccessChange.objects.filter(collaborator=gone).order_by("pk")] == [
        "reactivated",
        "permissions updated",
    ]


@pytest.mark.django_db
def test_a_stale_admin_form_cannot_undo_a_change_made_in_the_portal(staff, client_for, alice, bob):
    url = admin_url(Collaborator, "change", bob.pk)
    data = change_form_data(staff.get(url))
    # Meanwhile, reseller A's admin grants bob a module in the portal.
    services.collaborator_update_access(
        actor=alice, collaborator=bob, is_admin=False, modules=[Module.ORDERS], version=0
    )

    data["modules"] = [Module.NF_REPORT]
    response = staff.post(url, data)

    assert [level for level, _ in messages_of(response)] == ["error"]
    assert access_of(bob) == (False, True, [Module.ORDERS])


@pytest.mark.django_db
def test_a_reseller_cannot_be_changed_in_the_admin(staff, alice, bob, reseller_b):
    # Moving a collaborator would carry their access to another reseller.
    response = post_collaborator(staff, alice, reseller=str(reseller_b.pk))
    assert response.status_code == 302
    assert Collaborator.objects.get(pk=alice.pk).reseller_id == alice.reseller_id


@pytest.mark.django_db
def test_collaborators_cannot_be_added_or_deleted_in_the_admin(staff, alice, bob):
    # They arrive by their first login; deleting one would erase their access history.
    assert staff.get(admin_url(Collaborator, "add")).status_code == 403
    assert staff.post(admin_url(Collaborator, "delete", bob.pk), {"post": "yes"}).status_code == 403
    staff.post(
        admin_url(Collaborator, "changelist"),
        {"action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes"},
    )
    assert Collaborator.objects.filter(pk__in=[alice.pk, bob.pk]).count() == 2


@pytest.mark.django_db
def test_an_admin_change_is_logged_with_the_staff_user(
    staff, stella, bob, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="portal.security")
    with django_capture_on_commit_callbacks(execute=True):
        post_collaborator(staff, bob, is_admin=True)
    [line] = [r for r in caplog.records if r.name == "portal.security"]
    assert line.getMessage() == "access_changed"
    assert (line.user_id, line.collaborator_id, line.staff) == (stella.pk, bob.pk, True)
    assert line.levelno == logging.WARNING  # administrator access granted


@pytest.mark.django_db
def test_a_refused_admin_change_is_logged_with_its_reason(staff, stella, alice, caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    post_collaborator(staff, alice, is_admin=False)
    [line] = [r for r in caplog.records if r.name == "portal.security"]
    assert (line.getMessage(), line.user_id, line.reason) == (
        "access_change_refused",
        stella.pk,
        "last_admin",
    )


@pytest.mark.django_db
def test_reseller_user_is_redirected_to_the_admin_login(client_for, alice):
    client = client_for(alice)
    for url in (reverse("admin:index"), admin_url(Commission, "changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_a_reseller_user_shows_no_password_and_cannot_get_one(staff, alice):
    user = alice.user

    page = staff.get(admin_url(user, "change", user.pk))
    assert page.status_code == 200
    assert "password/" not in page.text

    response = staff.get(reverse("admin:auth_user_password_change", args=[user.pk]))
    assert response.status_code == 302
    assert [level for level, _ in messages_of(response)] == ["error"]
    user.refresh_from_db()
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_staff_password_can_be_changed_in_the_admin(staff, stella):
    assert (
        staff.get(reverse("admin:auth_user_password_change", args=[stella.pk])).status_code == 200
    )


@pytest.mark.django_db
def test_adding_a_non_staff_user_with_a_password_is_refused(staff):
    data = {
        "email": "someone@revenda-a.example",
        "name": "Someone",
        "usable_password": "true",
        "password1": "a-long-password-123",
        "password2": "a-long-password-123",
    }
    response = staff.post(admin_url(UserFactory._meta.model, "add"), data)
    assert response.status_code == 200
    assert "usable_password" in response.context["adminform"].form.errors

    staff.post(admin_url(UserFactory._meta.model, "add"), {**data, "is_staff": "on"})
    user = UserFactory._meta.model.objects.get(email="someone@revenda-a.example")
    assert user.is_staff and user.check_password("a-long-password-123")


@pytest.mark.django_db
def test_account_filter_lists_the_chosen_resellers_accounts(staff, account_a, account_b):
    changelist = admin_url(Commission, "changelist")

    unfiltered = staff.get(changelist).context["cl"]
    assert "account" not in [getattr(s, "parameter_name", "") for s in unfiltered.filter_specs]

    cl = staff.get(changelist, {"reseller": account_a.reseller_id}).context["cl"]
    [spec] = [s for s in cl.filter_specs if getattr(s, "parameter_name", "") == "account"]
    assert [value for value, _ in spec.lookup_choices] == [account_a.pk]


@pytest.mark.django_db
def test_a_punctuated_cnpj_finds_the_bare_one(staff, account_a):
    response = staff.get(admin_url(account_a, "changelist"), {"q": "01.771.935/0002-15"})
    assert list(response.context["cl"].result_list) == []
    account_a.cnpj = "01771935000215"
    account_a.save()
    response = staff.get(admin_url(account_a, "changelist"), {"q": "01.771.935/0002-15"})
    assert list(response.context["cl"].result_list) == [account_a]

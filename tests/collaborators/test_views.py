"""Colaboradores: the list (access, scoping, notice, columns, filters, actions, report), the
"Editar permissões" page and the deactivate / reactivate confirmations, through the real views."""

import datetime as dt
import logging
import re
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from collaborators import services
from collaborators.models import AccessChange, Collaborator
from collaborators.modules import MODULE_DESCRIPTIONS, Module
from tests.collaborators.conftest import collaborator
from tests.factories import CollaboratorFactory

LIST = reverse("collaborators:list")


def edit_url(who):
    return reverse("collaborators:edit", args=[who.pk])


def deactivate_url(who):
    return reverse("collaborators:deactivate", args=[who.pk])


def reactivate_url(who):
    return reverse("collaborators:reactivate", args=[who.pk])


def emails(response):
    """The e-mails of the rows on the page, in the order shown."""
    return [row.record.user.email for row in response.context["table"].page.object_list]


def fresh(who):
    return Collaborator.objects.get(pk=who.pk)


def post_access(client, who, *, is_admin=None, modules=None, version=None):
    """Posts the edit form as a browser would: the current values unless told otherwise."""
    current = fresh(who)
    data = {
        "version": current.version if version is None else version,
        "modules": sorted(current.modules) if modules is None else modules,
    }
    if current.is_admin if is_admin is None else is_admin:
        data["is_admin"] = "on"
    return client.post(edit_url(who), data)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# The list: access and scoping --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "carla"])
def test_admins_and_the_collaborators_module_see_their_resellers_collaborators(
    who, request, client_for, alice, bob, olga, carla, charlie
):
    response = client_for(request.getfixturevalue(who)).get(LIST)
    assert response.status_code == 200
    assert emails(response) == [
        "alice@revenda-a.example",
        "bob@revenda-a.example",
        "carla@revenda-a.example",
        "olga@revenda-a.example",
    ]
    assert "charlie@revenda-b.example" not in response.text


@pytest.mark.parametrize("who", ["bob", "olga"])
def test_the_list_requires_the_collaborators_module(who, request, client_for):
    assert client_for(request.getfixturevalue(who)).get(LIST).status_code == 403


def test_it_sends_anonymous_users_to_login(client, alice):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_it_refuses_staff_who_are_not_reseller_users(client_for, stella):
    assert client_for(stella).get(LIST).status_code == 403


def test_another_resellers_admin_sees_only_their_own_people(client_for, charlie, alice, bob):
    response = client_for(charlie).get(LIST)
    assert emails(response) == ["charlie@revenda-b.example"]
    assert "revenda-a.example" not in response.text


def test_the_menu_offers_colaboradores_to_admins_and_the_module_only(client_for, alice, olga):
    assert f'href="{LIST}"' in client_for(alice).get(reverse("home")).text
    assert f'href="{LIST}"' not in client_for(olga).get(reverse("home")).text


# The list: notice and columns --------------------------------------------------------------------


def test_the_notice_explains_how_new_collaborators_arrive(client_for, alice, settings):
    settings.ECOMMERCE_NEW_USER_URL = "https://loja.example/usuarios/novo"
    html = client_for(alice).get(LIST).text
    notice = html[html.index('data-testid="new-collaborators-notice"') :]
    notice = notice[: notice.index("</section>")]
    assert gettext("Registering new collaborators") in notice
    # Created in the e-commerce site, with a link to where that is done ...
    assert 'href="https://loja.example/usuarios/novo"' in notice
    assert (
        gettext(
            "To add a new collaborator to the Partner Portal, sign in to the e-commerce site as an "
            "administrator and register a new user."
        )
        in notice
    )
    # ... listed after their first login, with every module off.
    assert (
        gettext(
            "*A user registered in the e-commerce site appears in this list only after their first "
            "login to the Partner Portal. New users start with every module disabled, and can only "
            "open a welcome page."
        )
        in notice
    )


def test_the_htmx_partial_has_the_rows_but_not_the_notice(client_for, alice, bob):
    response = client_for(alice).get(
        LIST, headers={"HX-Request": "true", "HX-Target": "list-results"}
    )
    assert response.status_code == 200
    assert "new-collaborators-notice" not in response.text
    assert "bob@revenda-a.example" in response.text


def test_the_columns_are_name_access_email_first_and_last_access(client_for, alice):
    table = client_for(alice).get(LIST).context["table"]
    headers = [str(c.header) for c in table.columns]
    assert headers == [
        gettext("Name"),
        gettext("Access"),
        gettext("E-mail"),
        gettext("First access"),
        gettext("Last access"),
        gettext("Actions"),
    ]


def test_access_shows_one_badge_per_module_or_admin_or_none_and_deactivated(
    client_for, alice, bob, olga, dina, reseller_a
):
    both = collaborator(
        "beto@revenda-a.example",
        "Beto Braga",
        reseller_a,
        modules=[Module.NF_REPORT, Module.ORDERS],
    )
    rows = {
        row.record.user.email: row.get_cell("access")
        for row in client_for(alice).get(LIST).context["table"].page.object_list
    }
    assert '<span class="badge text-bg-dark">Admin</span>' in rows[alice.user.email]
    assert gettext("No access") in rows[bob.user.email]
    assert str(Module.ORDERS.label) in rows[olga.user.email]
    assert rows[both.user.email].count('class="badge') == 2
    # The badges follow the modules' order, not the order they were granted in.
    assert rows[both.user.email].index(str(Module.ORDERS.label)) < rows[both.user.email].index(
        str(Module.NF_REPORT.label)
    )
    assert gettext("Deactivated") in rows[dina.user.email]
    assert str(Module.ORDERS.label) in rows[dina.user.email]


def test_first_and_last_access_are_dd_mm_yyyy_hh_mm_in_local_time(client_for, alice, bob):
    Collaborator.objects.filter(pk=bob.pk).update(
        first_access=dt.datetime(2023, 3, 23, 5, 47, tzinfo=dt.UTC),  # 02:47 in São Paulo
        last_access=None,
    )
    row = next(
        row
        for row in client_for(alice).get(LIST).context["table"].page.object_list
        if row.record.pk == bob.pk
    )
    assert row.get_cell("first_access") == "23/03/2023 02:47"
    assert row.get_cell("last_access") == "—"


def test_sorting_by_last_access(client_for, alice, bob, olga):
    now = timezone.now()
    Collaborator.objects.filter(pk=alice.pk).update(last_access=now - dt.timedelta(days=1))
    Collaborator.objects.filter(pk=bob.pk).update(last_access=now - dt.timedelta(days=3))
    Collaborator.objects.filter(pk=olga.pk).update(last_access=now)
    response = client_for(alice).get(LIST, {"sort": "-last_access"})
    assert emails(response) == [olga.user.email, alice.user.email, bob.user.email]


# The list: filters -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["olga", "OLIVEIRA", "olga@revenda", "REVENDA-A.EXAMPLE"])
def test_by_user_data_finds_a_name_or_an_email_in_any_case(text, client_for, alice, bob, olga):
    response = client_for(alice).get(LIST, {"user": text})
    found = emails(response)
    assert olga.user.email in found
    if "revenda" not in text.lower():
        assert found == [olga.user.email]


def test_by_user_data_that_matches_nobody_shows_the_empty_text(client_for, alice, bob):
    response = client_for(alice).get(LIST, {"user": "ninguém"})
    assert emails(response) == []
    assert gettext("No collaborator matches these filters.") in response.text


def test_by_user_data_never_finds_another_resellers_people(client_for, alice, charlie):
    assert emails(client_for(alice).get(LIST, {"user": "charlie"})) == []


def test_by_access_a_module_lists_who_can_open_it_admins_included_deactivated_not(
    client_for, alice, bob, olga, dina
):
    response = client_for(alice).get(LIST, {"access": Module.ORDERS})
    assert emails(response) == [alice.user.email, olga.user.email]


def test_by_access_admin(client_for, alice, dave, olga):
    assert emails(client_for(alice).get(LIST, {"access": "admin"})) == [
        alice.user.email,
        dave.user.email,
    ]


def test_by_access_no_access_finds_the_new_users(client_for, alice, bob, olga, dina):
    assert emails(client_for(alice).get(LIST, {"access": "none"})) == [bob.user.email]


def test_by_access_deactivated(client_for, alice, bob, dina):
    assert emails(client_for(alice).get(LIST, {"access": "deactivated"})) == [dina.user.email]


def test_by_access_offers_admin_each_module_no_access_and_deactivated(client_for, alice):
    field = client_for(alice).get(LIST).context["filter"].form["access"].field
    values = [value for value, _label in field.choices]
    assert values == ["", "admin", *Module.values, "none", "deactivated"]


@pytest.mark.parametrize(
    "params", [{"access": "payroll"}, {"access": "' OR 1=1 --"}, {"user": "x" * 151}]
)
def test_bad_filters_are_form_errors_and_show_no_rows(params, client_for, alice, bob):
    response = client_for(alice).get(LIST, params)
    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert emails(response) == []


# The list: row actions ---------------------------------------------------------------------------


def test_each_row_has_an_edit_link_with_an_accessible_label(client_for, alice, bob):
    html = client_for(alice).get(LIST).text
    assert f'href="{edit_url(bob)}"' in html
    label = gettext("Edit permissions of %(name)s") % {"name": "Bob Barbosa"}
    assert f'<span class="visually-hidden">{label}</span>' in html


def test_active_rows_offer_deactivation_and_inactive_rows_reactivation(
    client_for, alice, bob, dina
):
    html = client_for(alice).get(LIST).text
    assert f'href="{deactivate_url(bob)}"' in html
    assert f'href="{reactivate_url(bob)}"' not in html
    assert f'href="{reactivate_url(dina)}"' in html
    assert f'href="{deactivate_url(dina)}"' not in html


def test_nobody_is_offered_to_deactivate_their_own_row(client_for, alice, carla):
    assert f'href="{deactivate_url(alice)}"' not in client_for(alice).get(LIST).text
    assert f'href="{deactivate_url(carla)}"' not in client_for(carla).get(LIST).text


def test_a_non_admin_manager_is_not_offered_to_deactivate_an_admin(client_for, carla, alice, bob):
    html = client_for(carla).get(LIST).text
    assert f'href="{deactivate_url(alice)}"' not in html
    assert f'href="{deactivate_url(bob)}"' in html


# The list: report --------------------------------------------------------------------------------


def read_report(response):
    assert response["Content-Disposition"].startswith('attachment; filename="colaboradores-')
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_report_exports_exactly_the_filtered_rows(client_for, alice, bob, olga, dina):
    response = client_for(alice).get(LIST, {"access": Module.ORDERS, "export": "xlsx"})
    header, *rows = read_report(response)
    yes, no = gettext("Yes"), gettext("No")
    assert header == [
        gettext("Name"),
        gettext("E-mail"),
        gettext("Administrator"),
        *(str(m.label) for m in Module),
        gettext("Active"),
        gettext("First access"),
        gettext("Last access"),
    ]
    assert [row[1] for row in rows] == [alice.user.email, olga.user.email]
    alice_row, olga_row = rows
    assert alice_row[2:9] == [yes, yes, yes, yes, yes, yes, yes]  # admin opens every module
    assert olga_row[2:9] == [no, yes, no, no, no, no, yes]
    assert isinstance(olga_row[9], dt.datetime)


def test_the_report_of_another_reseller_holds_only_its_people(client_for, charlie, alice, bob):
    _header, *rows = read_report(client_for(charlie).get(LIST, {"export": "xlsx"}))
    assert [row[1] for row in rows] == [charlie.user.email]


def test_the_report_is_refused_for_bad_filters(client_for, alice):
    response = client_for(alice).get(LIST, {"access": "payroll", "export": "xlsx"})
    assert "Content-Disposition" not in response
    assert response.context["filter"].form.errors


# Editar permissões: the page ---------------------------------------------------------------------


def test_the_edit_page_shows_name_email_admin_modules_and_buttons(client_for, alice, olga):
    response = client_for(alice).get(edit_url(olga))
    assert response.status_code == 200
    html = response.text
    assert 'data-testid="collaborator-name">Olga Oliveira<' in html
    assert 'data-testid="collaborator-email">olga@revenda-a.example<' in html
    # "Acesso Administrador", with the seed's explanation.
    help_text = Collaborator._meta.get_field("is_admin").help_text
    assert str(help_text) in html
    assert 'name="is_admin"' in html
    # Status de pedidos, Colaboradores, and Comissões with its three modules, described.
    for module in Module:
        assert f'value="{module.value}"' in html
        assert str(MODULE_DESCRIPTIONS[module]) in html
    assert html.index(str(Module.ORDERS.label)) < html.index(str(Module.COMMISSIONS_TRACK.label))
    assert gettext("Commissions") in html
    assert 'value="orders" class="form-check-input" id="id_modules_0" checked' in html
    # "Desativar acessos" and "Atualizar permissões".
    assert f'href="{deactivate_url(olga)}"' in html
    assert gettext("Update permissions") in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'name="version" value="{fresh(olga).version}"' in html


def test_the_edit_page_of_a_deactivated_collaborator_offers_reactivation(client_for, alice, dina):
    html = client_for(alice).get(edit_url(dina)).text
    assert gettext("Deactivated") in html
    assert f'href="{reactivate_url(dina)}"' in html
    assert f'href="{deactivate_url(dina)}"' not in html


def test_the_edit_page_requires_the_collaborators_module(client_for, bob, olga):
    assert client_for(bob).get(edit_url(olga)).status_code == 403
    assert client_for(bob).post(edit_url(olga), {"version": 0}).status_code == 403
    assert fresh(olga).modules == {"orders"}


def test_another_resellers_collaborator_is_404_on_every_page(client_for, charlie, olga):
    client = client_for(charlie)
    for url in (edit_url(olga), deactivate_url(olga), reactivate_url(olga)):
        assert client.get(url).status_code == 404
        assert client.post(url, {"version": 0, "is_admin": "on"}).status_code == 404
    olga = fresh(olga)
    assert olga.is_active and not olga.is_admin and olga.modules == {"orders"}


def test_an_unknown_collaborator_is_404(client_for, alice):
    assert client_for(alice).get(reverse("collaborators:edit", args=[999_999])).status_code == 404


# Editar permissões: saving -----------------------------------------------------------------------


def test_an_admin_updates_the_modules(client_for, alice, bob):
    response = post_access(client_for(alice), bob, modules=[Module.ORDERS, Module.NF_REPORT])
    assert response.status_code == 302
    assert response.url == edit_url(bob)
    assert fresh(bob).modules == {"orders", "nf_report"}
    change = AccessChange.objects.get(collaborator=bob)
    assert change.changed_by == alice.user and change.reason == "permissions updated"
    page = client_for(alice).get(response.url)
    assert messages_of(page) == [
        gettext("The permissions of %(name)s were updated.") % {"name": "Bob Barbosa"}
    ]


def test_saving_without_changes_records_nothing(client_for, alice, olga):
    response = post_access(client_for(alice), olga)
    assert response.status_code == 302
    assert not AccessChange.objects.filter(collaborator=olga).exists()


def test_an_admin_grants_and_revokes_admin(client_for, alice, olga):
    client = client_for(alice)
    post_access(client, olga, is_admin=True)
    assert fresh(olga).is_admin
    post_access(client, olga, is_admin=False)
    assert not fresh(olga).is_admin


@pytest.mark.parametrize(
    "data",
    [
        {"version": "0", "modules": ["payroll"]},
        {"modules": ["orders"]},  # no version
        {"version": "abc"},
        {"version": "-1"},
        {"version": "99999999999999999999"},
    ],
)
def test_bad_input_is_refused_and_changes_nothing(data, client_for, alice, olga):
    response = client_for(alice).post(edit_url(olga), data)
    assert response.status_code == 400
    assert fresh(olga).modules == {"orders"}
    assert not AccessChange.objects.filter(collaborator=olga).exists()


def test_other_methods_are_not_allowed(client_for, alice, olga):
    client = client_for(alice)
    for url in (edit_url(olga), deactivate_url(olga), reactivate_url(olga)):
        assert client.put(url).status_code == 405
        assert client.delete(url).status_code == 405
    assert fresh(olga).is_active


def test_writes_need_the_csrf_token(alice, olga):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(edit_url(olga), {"version": 0, "modules": []}).status_code == 403
    assert client.post(deactivate_url(olga)).status_code == 403
    olga = fresh(olga)
    assert olga.is_active and olga.modules == {"orders"}


def test_a_stale_form_is_refused_and_shows_the_current_permissions(clients, alice, dave, olga):
    version = fresh(olga).version
    first = post_access(clients(dave), olga, modules=[Module.COLLABORATORS], version=version)
    assert first.status_code == 302

    second = post_access(clients(alice), olga, modules=[Module.NF_REPORT], version=version)

    assert second.status_code == 409
    assert messages_of(second) == [
        gettext(
            "This collaborator was changed by someone else while you were editing; "
            "review the current permissions and save again."
        )
    ]
    form = second.context["form"]
    assert not form.is_bound
    assert form.initial["modules"] == ["collaborators"]  # dave's change, not alice's
    assert form.initial["version"] == version + 1
    assert fresh(olga).modules == {"collaborators"}


# Editar permissões: who may change what ----------------------------------------------------------


def test_a_non_admin_manager_sees_the_admin_box_disabled(client_for, carla, bob):
    response = client_for(carla).get(edit_url(bob))
    assert response.status_code == 200
    html = response.text
    box = html[html.index('name="is_admin"') - 30 : html.index('id="id_is_admin"')]
    assert "disabled" in box
    assert gettext("Only an administrator can grant or revoke administrator access.") in html


def test_a_non_admin_manager_may_change_a_non_admins_modules_it_holds(client_for, carla, bob):
    response = post_access(client_for(carla), bob, modules=[Module.COLLABORATORS])
    assert response.status_code == 302
    assert fresh(bob).modules == {"collaborators"}


def test_a_forged_post_granting_admin_is_refused_with_403_and_a_message(client_for, carla, bob):
    response = post_access(client_for(carla), bob, is_admin=True, modules=[Module.COLLABORATORS])
    assert response.status_code == 403
    assert messages_of(response) == [
        gettext("Only an administrator can grant or revoke administrator access.")
    ]
    bob = fresh(bob)
    assert not bob.is_admin and bob.modules == set()  # nothing of the refused form is saved
    assert not AccessChange.objects.filter(collaborator=bob).exists()


def test_a_non_admin_manager_sees_an_admins_page_read_only_and_cannot_save_it(
    client_for, carla, alice
):
    response = client_for(carla).get(edit_url(alice))
    assert response.status_code == 200
    assert 'data-testid="read-only"' in response.text
    assert 'data-testid="save"' not in response.text
    assert f'href="{deactivate_url(alice)}"' not in response.text

    response = post_access(client_for(carla), alice, modules=[Module.ORDERS])
    assert response.status_code == 403
    assert messages_of(response) == [
        gettext("Only an administrator can change an administrator's access.")
    ]
    assert fresh(alice).modules == set()


def test_an_admin_cannot_revoke_their_own_admin(client_for, alice, dave):
    client = client_for(alice)
    html = client.get(edit_url(alice)).text
    assert 'data-testid="admin-lock"' in html
    # The box is disabled, so its value travels in a hidden input: saving keeps the admin.
    assert '<input type="hidden" name="is_admin" value="on">' in html
    assert post_access(client, alice, modules=[Module.ORDERS]).status_code == 302
    assert fresh(alice).is_admin and fresh(alice).modules == {"orders"}
    client.get(edit_url(alice))  # shows, and so clears, the "updated" message

    # A forged form without the box is refused.
    response = post_access(client, alice, is_admin=False)
    assert response.status_code == 403
    assert messages_of(response) == [gettext("You cannot revoke your own administrator access.")]
    assert fresh(alice).is_admin


def test_the_last_active_admin_cannot_be_demoted(client_for, alice):
    response = post_access(client_for(alice), alice, is_admin=False)
    assert response.status_code == 403
    assert len(messages_of(response)) == 1
    assert "Alice Almeida" in messages_of(response)[0]
    assert fresh(alice).is_admin


def test_an_admin_demotes_another_admin(client_for, alice, dave):
    assert post_access(client_for(alice), dave, is_admin=False).status_code == 302
    assert not fresh(dave).is_admin


# Editar permissões: least privilege for a non-admin manager -------------------------------------


def module_inputs(html):
    """The module codes offered as inputs (checkboxes or otherwise) in the edit form."""
    return sorted(re.findall(r'<input[^>]*name="modules"[^>]*value="([^"]+)"', html))


def read_only_modules(html):
    """The modules shown as information: {code: granted?}."""
    found = re.findall(
        r'data-testid="read-only-module" data-module="([^"]+)">.*?badge [^"]*">([^<]+)<',
        html,
        re.DOTALL,
    )
    return {code: label == gettext("Granted") for code, label in found}


def test_the_edit_page_offers_a_non_admin_manager_only_the_modules_it_holds(
    client_for, carla, olga
):
    html = client_for(carla).get(edit_url(olga)).text
    assert module_inputs(html) == ["collaborators"]
    assert read_only_modules(html) == {
        "orders": True,  # olga's, shown, not offered
        "commissions_track": False,
        "commissions_request": False,
        "nf_report": False,
    }
    assert 'data-testid="modules-lock"' in html
    assert 'data-testid="save"' in html


def test_the_edit_page_offers_an_admin_every_module(client_for, alice, olga):
    html = client_for(alice).get(edit_url(olga)).text
    assert module_inputs(html) == sorted(Module.values)
    assert read_only_modules(html) == {}
    assert 'data-testid="modules-lock"' not in html


def test_a_non_admin_managers_own_page_is_read_only(client_for, carla):
    html = client_for(carla).get(edit_url(carla)).text
    assert 'data-testid="read-only"' in html
    assert gettext("You cannot change your own access; ask an administrator.") in html
    assert module_inputs(html) == []
    assert 'data-testid="save"' not in html
    assert f'href="{deactivate_url(carla)}"' not in html


def test_a_non_admin_manager_cannot_grant_itself_modules(client_for, carla):
    response = post_access(client_for(carla), carla, modules=list(Module))
    assert response.status_code == 403
    assert messages_of(response) == [
        gettext("You cannot change your own access; ask an administrator.")
    ]
    assert fresh(carla).modules == {"collaborators"}
    assert not AccessChange.objects.filter(collaborator=carla).exists()


def test_a_forged_post_granting_a_module_the_manager_lacks_is_refused_with_403(
    client_for, carla, bob
):
    response = post_access(client_for(carla), bob, modules=[Module.COLLABORATORS, Module.ORDERS])
    assert response.status_code == 403
    [message] = messages_of(response)
    assert str(Module.ORDERS.label) in message  # the reason, on the page
    assert message in response.text
    bob = fresh(bob)
    assert bob.modules == set()  # not even the module she could grant: the form is refused whole
    assert not AccessChange.objects.filter(collaborator=bob).exists()
    # The page shows what is stored, with only her module as a box.
    assert module_inputs(response.text) == ["collaborators"]


def test_saving_keeps_the_modules_the_manager_cannot_change(client_for, carla, olga):
    # The browser posts only the boxes shown: orders is not one, and is kept, not revoked.
    response = client_for(carla).post(
        edit_url(olga), {"version": fresh(olga).version, "modules": ["collaborators"]}
    )
    assert response.status_code == 302
    assert fresh(olga).modules == {"orders", "collaborators"}


def test_a_non_admin_manager_is_not_offered_to_deactivate_someone_holding_a_module_it_lacks(
    client_for, carla, olga, bob
):
    client = client_for(carla)
    listing = client.get(LIST).text
    assert f'href="{deactivate_url(olga)}"' not in listing
    assert f'href="{deactivate_url(bob)}"' in listing
    assert f'href="{deactivate_url(olga)}"' not in client.get(edit_url(olga)).text

    page = client.get(deactivate_url(olga))
    assert 'data-testid="refusal"' in page.text

    response = client.post(deactivate_url(olga))
    assert response.status_code == 403
    assert "Olga Oliveira" in messages_of(response)[0]
    assert fresh(olga).is_active


def test_a_non_admin_manager_cannot_reactivate_someone_holding_a_module_it_lacks(
    client_for, carla, dina
):
    assert f'href="{reactivate_url(dina)}"' not in client_for(carla).get(LIST).text
    assert client_for(carla).post(reactivate_url(dina)).status_code == 403
    assert not fresh(dina).is_active


# Editar permissões: the security log -------------------------------------------------------------


@pytest.fixture
def security_events(caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    return lambda: [r for r in caplog.records if r.name == "portal.security"]


def test_a_refused_change_is_logged_once_with_its_reason_and_no_bare_forbidden_line(
    client_for, carla, bob, security_events
):
    response = post_access(client_for(carla), bob, modules=[Module.ORDERS])
    assert response.status_code == 403
    [line] = security_events()
    assert line.getMessage() == "access_change_refused"
    assert (line.user_id, line.collaborator_id, line.reason) == (
        carla.user_id,
        bob.pk,
        "module_not_held",
    )
    assert line.request_id == response["X-Request-ID"]


def test_a_refused_deactivation_is_logged_once(client_for, carla, olga, security_events):
    assert client_for(carla).post(deactivate_url(olga)).status_code == 403
    assert [(r.getMessage(), r.reason) for r in security_events()] == [
        ("access_change_refused", "module_not_held")
    ]


def test_a_permission_change_is_logged_with_actor_target_before_and_after(
    client_for, alice, olga, security_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_access(client_for(alice), olga, modules=[Module.NF_REPORT])
    assert response.status_code == 302
    [line] = security_events()
    assert line.getMessage() == "access_changed"
    assert (line.user_id, line.collaborator_id) == (alice.user_id, olga.pk)
    assert (line.before["modules"], line.after["modules"]) == (["orders"], ["nf_report"])
    assert line.request_id == response["X-Request-ID"]


# The access history ------------------------------------------------------------------------------


def test_an_admin_sees_the_access_history_in_words(client_for, alice, dave, bob):
    post_access(client_for(dave), bob, modules=[Module.ORDERS])
    client = client_for(alice)
    client.post(deactivate_url(bob))

    html = client.get(edit_url(bob)).text
    history = html[html.index('data-testid="access-history"') :]
    assert history.index(gettext("Access deactivated")) < history.index(
        gettext("Permissions updated")
    )  # newest first
    assert "Dave Duarte" in history and "Alice Almeida" in history
    assert f"{gettext('Modules')}: {gettext('None')} → {Module.ORDERS.label}" in history
    assert f"{gettext('Active')}: {gettext('Yes')} → {gettext('No')}" in history


def test_the_history_shows_the_first_login_without_a_before(client_for, alice, bob):
    AccessChange.objects.create(
        collaborator=bob,
        before={},
        after={"is_admin": False, "modules": [], "is_active": True},
        reason="first login",
    )
    html = client_for(alice).get(edit_url(bob)).text
    history = html[html.index('data-testid="access-history"') :]
    assert gettext("First login") in history
    assert f"{gettext('Administrator')}: {gettext('No')}</li>" in history


def test_the_history_never_names_the_reseller_a_user_moved_from(client_for, alice, bob):
    AccessChange.objects.create(
        collaborator=bob,
        before={"reseller": "M000000000ZZ", "is_admin": True, "modules": [], "is_active": True},
        after={"reseller": "M000000000LL", "is_admin": False, "modules": [], "is_active": True},
        reason="moved to another reseller by the e-commerce store",
    )
    html = client_for(alice).get(edit_url(bob)).text
    assert "M000000000ZZ" not in html
    assert gettext("Moved to this reseller by the e-commerce store") in html


def test_the_history_says_which_changes_the_distributor_made(client_for, alice, bob, stella):
    services.collaborator_update_access(
        actor=stella, collaborator=bob, is_admin=False, modules=[Module.ORDERS], version=0
    )
    html = client_for(alice).get(edit_url(bob)).text
    history = html[html.index('data-testid="access-history"') :]
    assert f"Stella Souza ({gettext('distributor')})" in history
    assert gettext("Permissions updated") in history


def test_the_history_is_for_admins_only(client_for, carla, alice, bob):
    post_access(client_for(alice), bob, modules=[Module.ORDERS])
    assert 'data-testid="access-history"' not in client_for(carla).get(edit_url(bob)).text


def test_the_history_shows_the_latest_changes_only(client_for, alice, bob):
    for i in range(55):
        AccessChange.objects.create(collaborator=bob, changed_by=alice.user, reason=f"r{i}")
    response = client_for(alice).get(edit_url(bob))
    assert len(response.context["history"]["rows"]) == 50
    assert response.context["history"]["truncated"]


# Deactivate and reactivate -----------------------------------------------------------------------


def test_get_asks_for_confirmation_and_changes_nothing(client_for, alice, olga):
    response = client_for(alice).get(deactivate_url(olga))
    assert response.status_code == 200
    assert 'method="post"' in response.text
    assert "Olga Oliveira" in response.text
    assert fresh(olga).is_active
    assert not AccessChange.objects.filter(collaborator=olga).exists()


def test_post_deactivates_and_returns_to_the_list_with_a_message(client_for, alice, olga):
    client = client_for(alice)
    response = client.post(deactivate_url(olga))
    assert response.status_code == 302 and response.url == LIST
    assert not fresh(olga).is_active
    assert AccessChange.objects.get(collaborator=olga).reason == "deactivated"
    assert messages_of(client.get(LIST)) == [
        gettext("The access of %(name)s was deactivated.") % {"name": "Olga Oliveira"}
    ]


def test_post_reactivates(client_for, alice, dina):
    client = client_for(alice)
    assert client.get(reactivate_url(dina)).status_code == 200
    response = client.post(reactivate_url(dina))
    assert response.status_code == 302
    assert fresh(dina).is_active
    assert AccessChange.objects.get(collaborator=dina).reason == "reactivated"


def test_a_collaborators_module_user_deactivates_and_reactivates_a_non_admin_it_may_manage(
    client_for, carla, bob
):
    client = client_for(carla)
    assert client.post(deactivate_url(bob)).status_code == 302
    assert not fresh(bob).is_active
    assert client.post(reactivate_url(bob)).status_code == 302
    assert fresh(bob).is_active


def test_the_last_admin_is_told_why_they_cannot_deactivate_themselves(client_for, alice):
    client = client_for(alice)
    page = client.get(deactivate_url(alice))
    assert page.status_code == 200
    assert 'data-testid="refusal"' in page.text
    assert "<form" not in page.text.split('id="main"')[1].split("</main>")[0]
    response = client.post(deactivate_url(alice))
    assert response.status_code == 403
    assert fresh(alice).is_active


def test_nobody_deactivates_themselves(client_for, alice, dave):
    response = client_for(alice).post(deactivate_url(alice))
    assert response.status_code == 403
    assert messages_of(response) == [gettext("You cannot deactivate your own access.")]
    assert fresh(alice).is_active


def test_a_non_admin_manager_cannot_deactivate_an_admin(client_for, carla, alice, dave):
    response = client_for(carla).post(deactivate_url(dave))
    assert response.status_code == 403
    assert fresh(dave).is_active


def test_reactivating_an_active_collaborator_is_refused(client_for, alice, olga):
    assert client_for(alice).post(reactivate_url(olga)).status_code == 403
    assert not AccessChange.objects.filter(collaborator=olga).exists()


def test_the_confirmation_pages_need_the_collaborators_module(client_for, olga, bob):
    client = client_for(olga)
    assert client.get(deactivate_url(bob)).status_code == 403
    assert client.post(deactivate_url(bob)).status_code == 403
    assert fresh(bob).is_active


def test_many_collaborators_page_at_ten(client_for, alice, reseller_a):
    for _ in range(12):
        CollaboratorFactory(reseller=reseller_a)
    response = client_for(alice).get(LIST)
    assert len(emails(response)) == 10
    assert 'rel="next"' in response.text

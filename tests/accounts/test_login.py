"""The login journey through the real views: allauth's login page for reseller users (against the
local store and against a real HTTP store on loopback), and the Django admin's for staff."""

import datetime as dt
import logging

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone

from accounts.backends import login_key
from accounts.models import Reseller, User
from accounts.store import InvalidCredentials, LocalStore
from collaborators.models import AccessChange, Collaborator
from collaborators.modules import Module
from tests.ecommerce_server import EcommerceServer, refused_url
from tests.factories import (
    CollaboratorFactory,
    EcommerceUserFactory,
    ResellerFactory,
    UserFactory,
    make_cnpj,
)

pytestmark = pytest.mark.django_db

PASSWORD = "secret-123"  # EcommerceUserFactory's
LONG_AGO = timezone.make_aware(dt.datetime(2024, 1, 2, 9, 30))


def log_in(client, login, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def error_codes(response, field="__all__"):
    assert response.status_code == 200, "a refused login shows the form again"
    return [e.code for e in response.context["form"].errors.as_data().get(field, [])]


def logged_in_user(client):
    return client.session.get("_auth_user_id")


def errors_logged(caplog):
    return [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def nina(db):
    """An e-commerce user of reseller A in the local store who has never opened the portal."""
    reseller = ResellerFactory(name="Revenda A Ltda.", code="M000000000LL")
    return EcommerceUserFactory(
        login="nina@revenda-a.example", name="Nina Nunes", reseller=reseller
    )


@pytest.fixture
def hugo(ecommerce_server):
    """An e-commerce user in the HTTP store."""
    return ecommerce_server.add_user(
        "hugo@revenda-h.example", "hugo-pass-1", name="Hugo Henrique", is_admin=False
    )


# The page.


def test_the_login_page_shows_the_labels_the_reset_link_and_the_hint(client, settings):
    settings.ECOMMERCE_PASSWORD_RESET_URL = "https://loja.example/esqueci-minha-senha"

    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == ["login", "password"]
    assert str(form.fields["login"].label) in ("User name", "Nome do usuário")
    assert str(form.fields["password"].label) in ("Password", "Senha")
    html = response.text
    assert f'<label class="form-label" for="id_login">{form.fields["login"].label}</label>' in html
    assert 'href="https://loja.example/esqueci-minha-senha"' in html
    assert "Forgot your password?" in html or "Esqueceu sua senha?" in html
    assert 'data-testid="login-hint"' in html
    assert 'type="password"' in html


# Success and the first login.


def test_first_login_redirects_home_and_creates_the_collaborator_with_every_module_off(
    client, nina
):
    before = timezone.now()

    response = log_in(client, "nina@revenda-a.example")

    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(email="nina@revenda-a.example")
    assert logged_in_user(client) == str(user.pk)
    assert user.name == "Nina Nunes"
    assert not user.has_usable_password(), "reseller users never get a local password"
    collaborator = user.collaborator
    assert collaborator.reseller == nina.reseller
    assert not collaborator.is_admin
    assert collaborator.is_active
    assert collaborator.modules == frozenset()
    assert collaborator.first_access == collaborator.last_access
    assert collaborator.first_access >= before
    assert AccessChange.objects.filter(collaborator=collaborator, reason="first login").exists()


def test_after_the_first_login_home_is_the_welcome_page(client, nina):
    log_in(client, "nina@revenda-a.example")

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "portal/welcome.html" in [t.name for t in response.templates]


def test_the_login_is_case_insensitive_and_keeps_one_user(client, nina):
    log_in(client, "NINA@Revenda-A.example")
    client.post(reverse("account_logout"))
    log_in(client, "nina@revenda-a.example")

    assert User.objects.filter(email__iexact="nina@revenda-a.example").count() == 1


def test_a_later_login_updates_last_access_and_keeps_first_access_and_modules(client, nina):
    log_in(client, "nina@revenda-a.example")
    client.post(reverse("account_logout"))
    collaborator = Collaborator.objects.get(user__email="nina@revenda-a.example")
    collaborator.set_modules([Module.ORDERS])
    Collaborator.objects.filter(pk=collaborator.pk).update(
        first_access=LONG_AGO, last_access=LONG_AGO
    )

    response = log_in(client, "nina@revenda-a.example")

    assert response.status_code == 302
    collaborator.refresh_from_db()
    assert collaborator.first_access == LONG_AGO
    assert collaborator.last_access > LONG_AGO
    assert collaborator.modules == frozenset({Module.ORDERS})
    assert not collaborator.is_admin


def test_a_later_login_does_not_make_an_admin_of_a_demoted_store_admin(client, nina):
    nina.is_admin = True
    nina.save()
    log_in(client, "nina@revenda-a.example")
    client.post(reverse("account_logout"))
    # The reseller's admins own the portal's access once the collaborator exists.
    Collaborator.objects.filter(user__email="nina@revenda-a.example").update(is_admin=False)

    log_in(client, "nina@revenda-a.example")

    assert not Collaborator.objects.get(user__email="nina@revenda-a.example").is_admin


def test_the_store_admin_becomes_a_portal_admin_on_the_first_login(client, nina):
    nina.is_admin = True
    nina.save()

    log_in(client, "nina@revenda-a.example")

    assert Collaborator.objects.get(user__email="nina@revenda-a.example").is_admin
    assert "portal/home.html" in [t.name for t in client.get(reverse("home")).templates]


def test_first_login_through_the_http_store_upserts_the_reseller_and_its_accounts(
    client, ecommerce_server
):
    cnpj = make_cnpj(55_000_001)
    # The portal already knows the reseller under an old name, and one of its accounts.
    ResellerFactory(cnpj=cnpj, name="Old name", code="M000000000UP")
    ecommerce_server.add_user(
        "rui@revenda-u.example",
        "rui-pass-1",
        name="Rui Ramos",
        is_admin=True,
        reseller={"cnpj": cnpj, "name": "Revenda U Ltda.", "code": "M000000000UP"},
        accounts=[
            {"code": "A0000000UP01", "cnpj": cnpj, "name": "Matriz"},
            {"code": "A0000000UP02", "cnpj": make_cnpj(55_000_001, 2), "name": "Filial"},
        ],
    )

    response = log_in(client, "rui@revenda-u.example", "rui-pass-1")

    assert response.status_code == 302
    assert response.url == reverse("home")
    reseller = Reseller.objects.get(cnpj=cnpj)
    assert reseller.name == "Revenda U Ltda."
    assert sorted(reseller.accounts.values_list("code", "name")) == [
        ("A0000000UP01", "Matriz"),
        ("A0000000UP02", "Filial"),
    ]
    collaborator = Collaborator.objects.get(user__email="rui@revenda-u.example")
    assert collaborator.reseller == reseller
    assert collaborator.is_admin
    assert not collaborator.user.has_usable_password()


def test_a_user_the_store_moved_to_another_reseller_starts_over_there(client, ecommerce_server):
    old = ResellerFactory(code="M000000000OL")
    user = UserFactory(email="hugo@revenda-h.example")
    CollaboratorFactory(user=user, reseller=old, is_admin=True, modules=[Module.ORDERS])
    ecommerce_server.add_user("hugo@revenda-h.example", "hugo-pass-1", is_admin=False)

    log_in(client, "hugo@revenda-h.example", "hugo-pass-1")

    collaborator = Collaborator.objects.get(user=user)
    assert collaborator.reseller.code == "M000000000HT"
    assert not collaborator.is_admin
    assert collaborator.modules == frozenset()
    change = collaborator.access_changes.first()
    assert change.before["reseller"] == "M000000000OL"
    assert change.after["reseller"] == "M000000000HT"


# Wrong credentials.


def test_a_wrong_password_and_an_unknown_user_get_the_same_generic_error(client, nina):
    wrong_password = log_in(client, "nina@revenda-a.example", "not-her-password")
    unknown_user = log_in(client, "nobody@revenda-a.example", PASSWORD)

    assert error_codes(wrong_password) == ["email_password_mismatch"]
    assert error_codes(unknown_user) == ["email_password_mismatch"]
    assert (
        wrong_password.context["form"].non_field_errors()
        == unknown_user.context["form"].non_field_errors()
    )
    assert not wrong_password.context["form"].errors.get("login")
    assert not wrong_password.context["form"].errors.get("password")
    assert logged_in_user(client) is None
    assert not User.objects.filter(email="nina@revenda-a.example").exists()


def test_a_wrong_password_in_the_http_store_gets_the_generic_error(client, hugo):
    response = log_in(client, "hugo@revenda-h.example", "wrong")

    assert error_codes(response) == ["email_password_mismatch"]
    assert logged_in_user(client) is None


@pytest.mark.parametrize("flag", ["is_locked", "inactive"])
def test_a_locked_or_inactive_store_user_gets_the_generic_error(client, nina, flag):
    if flag == "is_locked":
        nina.is_locked = True
    else:
        nina.is_active = False
    nina.save()

    response = log_in(client, "nina@revenda-a.example")

    assert error_codes(response) == ["email_password_mismatch"]
    assert logged_in_user(client) is None


@pytest.mark.parametrize("status", ["inactive", "locked"])
def test_a_locked_or_inactive_http_store_user_gets_the_generic_error(
    client, ecommerce_server, status
):
    ecommerce_server.add_user("ivo@revenda-h.example", "ivo-pass-1", status=status)

    response = log_in(client, "ivo@revenda-h.example", "ivo-pass-1")

    assert error_codes(response) == ["email_password_mismatch"]
    assert logged_in_user(client) is None


# A broken store.

BROKEN_STORES = {
    "timeout": lambda server, settings: server.answer_after(30),
    "connection refused": lambda server, settings: setattr(
        settings, "ECOMMERCE_AUTH_URL", refused_url()
    ),
    "HTTP 500": lambda server, settings: server.fail_with(500),
    "HTTP 503": lambda server, settings: server.fail_with(503, b"<h1>Maintenance</h1>"),
    "malformed JSON": lambda server, settings: server.answer_raw(b"{'user': nope"),
    "JSON missing fields": lambda server, settings: server.answer_json(
        {"user": {"login": "hugo@revenda-h.example"}}
    ),
    "a hang-up": lambda server, settings: server.close_connections(),
    "refused client credentials": lambda server, settings: setattr(
        settings, "ECOMMERCE_CLIENT_SECRET", "wrong-secret"
    ),
}


@pytest.mark.parametrize("breakage", BROKEN_STORES.values(), ids=BROKEN_STORES.keys())
def test_a_broken_store_says_the_service_is_unavailable_and_logs_it(
    client, ecommerce_server, hugo, settings, caplog, breakage
):
    breakage(ecommerce_server, settings)

    response = log_in(client, "hugo@revenda-h.example", "hugo-pass-1")

    assert response.status_code == 200
    assert error_codes(response) == ["store_unavailable"]
    assert 'data-testid="login-error"' in response.text
    assert logged_in_user(client) is None
    assert errors_logged(caplog) == [("portal.security", "store_failure")]
    assert not User.objects.filter(email="hugo@revenda-h.example").exists()


def test_a_store_identity_that_contradicts_the_portal_data_is_unavailable_not_a_500(
    client, ecommerce_server, caplog
):
    # The store gives reseller B's code to a CNPJ the portal does not know.
    ResellerFactory(code="M000000000HT")

    ecommerce_server.add_user("hugo@revenda-h.example", "hugo-pass-1")
    response = log_in(client, "hugo@revenda-h.example", "hugo-pass-1")

    assert error_codes(response) == ["store_unavailable"]
    assert errors_logged(caplog) == [("portal.security", "store_failure")]
    (record,) = [r for r in caplog.records if r.getMessage() == "store_failure"]
    assert record.kind == "identity_conflict"


# Deactivated collaborators.


def test_a_deactivated_collaborator_is_refused_with_a_message(client, nina):
    reseller_user = UserFactory(email="nina@revenda-a.example")
    collaborator = CollaboratorFactory(
        user=reseller_user, reseller=nina.reseller, is_active=False, last_access=LONG_AGO
    )

    response = log_in(client, "nina@revenda-a.example")

    assert error_codes(response) == ["deactivated"]
    assert 'data-testid="login-error"' in response.text
    assert logged_in_user(client) is None
    collaborator.refresh_from_db()
    assert collaborator.last_access == LONG_AGO


def test_a_deactivated_collaborator_with_a_wrong_password_gets_the_generic_error(client, nina):
    CollaboratorFactory(
        user=UserFactory(email="nina@revenda-a.example"), reseller=nina.reseller, is_active=False
    )

    response = log_in(client, "nina@revenda-a.example", "wrong")

    assert error_codes(response) == ["email_password_mismatch"]


def test_a_user_switched_off_by_staff_is_refused_as_deactivated(client, nina):
    user = UserFactory(email="nina@revenda-a.example", is_active=False)
    CollaboratorFactory(user=user, reseller=nina.reseller)

    response = log_in(client, "nina@revenda-a.example")

    assert error_codes(response) == ["deactivated"]
    assert logged_in_user(client) is None


def test_a_logged_in_collaborator_who_is_deactivated_is_logged_out_at_the_next_request(
    client, nina
):
    log_in(client, "nina@revenda-a.example")
    assert client.get(reverse("home")).status_code == 200
    Collaborator.objects.filter(user__email="nina@revenda-a.example").update(is_active=False)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert logged_in_user(client) is None
    page = client.get(response.url)
    assert [m.level_tag for m in page.context["messages"]] == ["error"]
    assert 'role="alert"' in page.text


def test_an_htmx_request_of_a_deactivated_collaborator_redirects_the_whole_page(client, nina):
    log_in(client, "nina@revenda-a.example")
    Collaborator.objects.filter(user__email="nina@revenda-a.example").update(is_active=False)

    response = client.get(reverse("home"), headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"] == reverse("account_login")
    assert logged_in_user(client) is None


# Rate limits.


def test_too_many_failures_lock_the_login_even_with_the_right_password(client, nina, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        assert error_codes(log_in(client, "nina@revenda-a.example", "wrong")) == [
            "email_password_mismatch"
        ]

    response = log_in(client, "nina@revenda-a.example")

    assert error_codes(response) == ["too_many_login_attempts"]
    assert logged_in_user(client) is None


def test_the_default_limit_is_five_failures_per_login(client, nina):
    for _ in range(5):
        log_in(client, "nina@revenda-a.example", "wrong")

    response = log_in(client, "nina@revenda-a.example")

    assert error_codes(response) == ["too_many_login_attempts"]


def test_the_limit_counts_per_login(client, nina, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        log_in(client, "someone-else@revenda-a.example", "wrong")

    assert log_in(client, "nina@revenda-a.example").status_code == 302


def test_successful_logins_do_not_use_up_the_limit(client, nina, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/5m/key"}
    for _ in range(4):
        assert log_in(client, "nina@revenda-a.example").status_code == 302
        client.post(reverse("account_logout"))


def test_a_broken_store_is_not_hammered_past_the_limit(client, ecommerce_server, hugo, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    ecommerce_server.fail_with(503)
    for _ in range(3):
        assert error_codes(log_in(client, "hugo@revenda-h.example", "hugo-pass-1")) == [
            "store_unavailable"
        ]
    assert len(ecommerce_server.requests) == 3

    response = log_in(client, "hugo@revenda-h.example", "hugo-pass-1")

    assert error_codes(response) == ["too_many_login_attempts"]
    assert len(ecommerce_server.requests) == 3, "a limited attempt must not reach the store"


# Staff and the Django admin.

STAFF_PASSWORD = "staff-pass-123"  # StaffFactory's


def admin_log_in(client, username, password):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


def test_staff_log_in_to_the_admin_with_their_local_password(client, stella):
    response = admin_log_in(client, "stella@distribuidora.example", STAFF_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert logged_in_user(client) == str(stella.pk)
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_cannot_log_in_to_the_admin_with_a_wrong_password(client, stella):
    response = admin_log_in(client, "stella@distribuidora.example", "wrong")

    assert error_codes(response) == ["invalid_login"]
    assert logged_in_user(client) is None


def test_a_reseller_user_cannot_log_in_to_the_admin_with_store_credentials(client, nina):
    log_in(client, "nina@revenda-a.example")  # now a portal user, without a local password
    client.post(reverse("account_logout"))

    response = admin_log_in(client, "nina@revenda-a.example", PASSWORD)

    assert error_codes(response) == ["invalid_login"]
    assert logged_in_user(client) is None


def test_the_admin_login_never_asks_the_store(client, ecommerce_server, hugo):
    response = admin_log_in(client, "hugo@revenda-h.example", "hugo-pass-1")

    assert error_codes(response) == ["invalid_login"]
    assert ecommerce_server.requests == []


def test_the_admin_login_is_rate_limited(client, stella, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        admin_log_in(client, "stella@distribuidora.example", "wrong")

    response = admin_log_in(client, "stella@distribuidora.example", STAFF_PASSWORD)

    assert error_codes(response) == ["too_many_login_attempts"]
    assert logged_in_user(client) is None


def test_the_admin_and_the_portal_login_share_one_failure_budget(client, stella, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        log_in(client, "stella@distribuidora.example", "wrong")

    response = admin_log_in(client, "stella@distribuidora.example", STAFF_PASSWORD)

    assert error_codes(response) == ["too_many_login_attempts"]


def test_staff_who_use_the_portal_login_end_up_in_the_admin(client, stella):
    response = log_in(client, "stella@distribuidora.example", STAFF_PASSWORD)

    assert response.url == reverse("home")
    assert client.get(reverse("home")).url == reverse("admin:index")


def test_a_staff_email_on_the_portal_login_never_reaches_the_store(
    client, ecommerce_server, stella
):
    # Even if the store knew the address, the staff account must not become a reseller user.
    ecommerce_server.add_user("stella@distribuidora.example", "store-pass-1")

    response = log_in(client, "stella@distribuidora.example", "store-pass-1")

    assert error_codes(response) == ["email_password_mismatch"]
    assert all(
        "stella" not in seen.body.decode() and "store-pass-1" not in seen.body.decode()
        for seen in ecommerce_server.requests
    )
    assert not Collaborator.objects.filter(user=stella).exists()


def test_a_staff_address_in_fullwidth_letters_never_reaches_the_store(
    client, ecommerce_server, stella
):
    # E-mail validation accepts the fullwidth domain, and IDNA reads it as the staff address.
    log_in(client, "stella@ｄｉｓｔｒｉｂｕｉｄｏｒａ.example", "store-pass-1")

    assert ecommerce_server.requests, "the same store call as for any address"
    assert all("stella" not in seen.body.decode() for seen in ecommerce_server.requests)


def test_a_store_identity_with_a_staff_email_is_refused(client, ecommerce_server, stella):
    ecommerce_server.add_user(
        "impostor@revenda-h.example", "pass-1", email="stella@distribuidora.example"
    )

    response = log_in(client, "impostor@revenda-h.example", "pass-1")

    assert error_codes(response) == ["email_password_mismatch"]
    assert not Collaborator.objects.filter(user=stella).exists()


# Logout.


def test_logout_is_a_post_that_ends_the_session(client, nina):
    log_in(client, "nina@revenda-a.example")

    assert client.get(reverse("account_logout")).status_code == 200
    assert logged_in_user(client) is not None, "a GET only asks for confirmation"

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert logged_in_user(client) is None
    assert client.get(reverse("home")).status_code == 302


# Redirects and the deadline, seen from the login page.


def test_a_redirecting_store_cannot_log_anyone_in_with_a_wrong_password(
    client, ecommerce_server, hugo
):
    # The store sends the client to another host, which vouches for a reseller admin.
    with EcommerceServer() as elsewhere:
        impostor = elsewhere.add_user("hugo@revenda-h.example", "anything", is_admin=True)
        elsewhere.answer_json(impostor.answer())
        ecommerce_server.redirect_to(elsewhere.url)

        response = log_in(client, "hugo@revenda-h.example", "not-hugos-password")

    assert error_codes(response) == ["store_unavailable"]
    assert logged_in_user(client) is None
    assert elsewhere.requests == []
    assert not User.objects.filter(email="hugo@revenda-h.example").exists()


def test_a_store_trickling_its_headers_cannot_hold_a_login_past_the_deadline(
    client, ecommerce_server, hugo
):
    ecommerce_server.trickle_headers(seconds_per_byte=0.05, length=300)

    response = log_in(client, "hugo@revenda-h.example", "hugo-pass-1")

    assert error_codes(response) == ["store_unavailable"]
    assert ecommerce_server.client_hung_up.wait(10)
    assert not ecommerce_server.answer_finished.is_set()


def asgi_log_in(login, password):
    """Posts the login form through Django's ASGI handler, which runs the sync view in a
    worker thread as an ASGI server does."""
    return async_to_sync(AsyncClient().post)(
        reverse("account_login"), {"login": login, "password": password}
    )


def test_under_asgi_the_store_answers_and_a_trickling_store_is_cut_off(ecommerce_server, hugo):
    assert asgi_log_in("hugo@revenda-h.example", "hugo-pass-1").status_code == 302

    ecommerce_server.trickle_headers(seconds_per_byte=0.05, length=300)
    response = asgi_log_in("hugo@revenda-h.example", "hugo-pass-1")

    assert error_codes(response) == ["store_unavailable"]
    assert ecommerce_server.client_hung_up.wait(10)
    assert not ecommerce_server.answer_finished.is_set()


# One failed-login budget per login, whatever the Host header or the spelling.

HOST_VARIANTS = ["testserver:1", "testserver.", "TESTSERVER"]


@pytest.mark.parametrize("host", HOST_VARIANTS)
def test_host_header_variants_share_one_login_budget(client, nina, settings, host):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        log_in(client, "nina@revenda-a.example", "wrong")

    response = client.post(
        reverse("account_login"),
        {"login": "nina@revenda-a.example", "password": PASSWORD},
        headers={"host": host},
    )

    assert error_codes(response) == ["too_many_login_attempts"]
    assert logged_in_user(client) is None


@pytest.mark.parametrize("host", HOST_VARIANTS)
def test_host_header_variants_share_one_admin_login_budget(client, stella, settings, host):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        admin_log_in(client, "stella@distribuidora.example", "wrong")

    response = client.post(
        reverse("admin:login"),
        {"username": "stella@distribuidora.example", "password": STAFF_PASSWORD},
        headers={"host": host},
    )

    assert error_codes(response) == ["too_many_login_attempts"]
    assert logged_in_user(client) is None


LOGIN_SPELLINGS = {
    "case and spaces": "  NINA@Revenda-A.Example ",
    "fullwidth letters": "nina@ｒｅｖｅｎｄａ-a.example",
    "a zero-width space": "nina@revenda\u200b-a.example",
    "a soft hyphen": "nina@reve\u00adnda-a.example",
}


@pytest.mark.parametrize("spelling", LOGIN_SPELLINGS.values(), ids=LOGIN_SPELLINGS.keys())
def test_spellings_of_one_login_share_one_budget(client, nina, settings, spelling):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        log_in(client, "nina@revenda-a.example", "wrong")

    response = log_in(client, spelling, "wrong")

    assert error_codes(response) == ["too_many_login_attempts"]


def test_the_login_key_folds_compatibility_forms_but_not_other_scripts():
    assert login_key(" Nina@ＲＥＶＥＮＤＡ.example\u200b ") == "nina@revenda.example"
    assert login_key("nina@revenda.example") != login_key("nina@rеvenda.example")  # Cyrillic е


# Timing: every refusal costs the same work, counted in password hashes.


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast, as the suite's hasher) that counts every hash it computes: encode() serves
    make_password() and verify() alike."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def hashes(settings):
    """Counts password hashes; request it before the fixtures that create users."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]

    def cost(attempt):
        CountingHasher.calls = 0
        attempt()
        return CountingHasher.calls

    return cost


def test_the_local_store_hashes_for_an_unknown_login_as_for_a_wrong_password(hashes, nina):
    def refused(login):
        with pytest.raises(InvalidCredentials):
            LocalStore().authenticate(login, "wrong")

    assert hashes(lambda: refused("nina@revenda-a.example")) == 1
    assert hashes(lambda: refused("nobody@revenda-a.example")) == 1


def test_an_unknown_login_costs_the_portal_login_as_much_hashing_as_a_wrong_password(
    hashes, client, nina
):
    wrong_password = hashes(lambda: log_in(client, "nina@revenda-a.example", "wrong"))
    unknown_login = hashes(lambda: log_in(client, "nobody@revenda-a.example", "wrong"))

    assert wrong_password == unknown_login > 0


def test_a_staff_address_costs_the_portal_login_as_much_hashing_as_any_other(
    hashes, client, nina, stella
):
    # A portal user whom the store no longer knows is one more kind of address.
    UserFactory(email="gone@revenda-a.example")
    costs = {
        login: hashes(lambda login=login: log_in(client, login, "wrong"))
        for login in (
            "stella@distribuidora.example",
            "nina@revenda-a.example",
            "nobody@revenda-a.example",
            "gone@revenda-a.example",
        )
    }

    assert len(set(costs.values())) == 1, costs


def test_the_admin_login_costs_the_same_hashing_for_staff_reseller_users_and_unknown_addresses(
    hashes, client, stella, alice
):
    costs = {
        login: hashes(lambda login=login: admin_log_in(client, login, "wrong"))
        for login in (
            "stella@distribuidora.example",
            "alice@revenda-a.example",
            "nobody@distribuidora.example",
        )
    }

    assert len(set(costs.values())) == 1, costs


def test_a_staff_address_costs_the_same_store_round_trip_as_any_other_and_the_store_never_sees_it(
    client, ecommerce_server, hugo, stella
):
    log_in(client, "hugo@revenda-h.example", "staff-guess-1")
    log_in(client, "nobody@revenda-h.example", "staff-guess-1")
    log_in(client, "stella@distribuidora.example", "staff-guess-1")

    assert len(ecommerce_server.requests) == 3, "one store call per address, staff or not"
    sent = ecommerce_server.requests[2].json
    assert "stella" not in sent["login"] and sent["login"].endswith(".invalid")
    assert sent["password"] != "staff-guess-1"


# Security events: one line each, never the password.


@pytest.fixture
def security_events(caplog):
    caplog.set_level(logging.INFO, logger="portal.security")

    def events():
        return [r for r in caplog.records if r.name == "portal.security"]

    return events


def summary(records):
    return [(r.getMessage(), getattr(r, "reason", None)) for r in records]


def assert_never_logged(caplog, secret):
    for record in caplog.records:
        assert secret not in repr(vars(record)) and secret not in record.getMessage()


def test_a_wrong_password_is_logged_once_as_a_failed_login_without_the_password(
    client, nina, security_events, caplog
):
    log_in(client, "Nina@Revenda-A.example", "hunter2-typed")

    (record,) = security_events()
    assert (record.getMessage(), record.reason) == ("login_failed", "wrong_credentials")
    assert record.login == "nina@revenda-a.example"
    assert record.ip == "127.0.0.1"
    assert record.path == reverse("account_login")
    assert_never_logged(caplog, "hunter2-typed")


def test_a_login_refused_because_the_store_is_down_logs_the_store_failure_and_the_login(
    client, ecommerce_server, hugo, security_events, caplog
):
    ecommerce_server.fail_with(503, b"maintenance")

    log_in(client, "hugo@revenda-h.example", "hugo-pass-1")

    assert summary(security_events()) == [
        ("store_failure", None),
        ("login_failed", "store_unavailable"),
    ]
    failure = security_events()[0]
    assert (failure.kind, failure.status, failure.length) == ("http_status", 503, 11)
    assert_never_logged(caplog, "hugo-pass-1")


def test_a_deactivated_collaborators_login_is_logged_as_such(client, nina, security_events):
    CollaboratorFactory(
        user=UserFactory(email="nina@revenda-a.example"), reseller=nina.reseller, is_active=False
    )

    log_in(client, "nina@revenda-a.example")

    assert summary(security_events()) == [("login_failed", "deactivated")]


def test_a_wrong_admin_password_is_logged_as_a_failed_login(
    client, stella, security_events, caplog
):
    admin_log_in(client, "stella@distribuidora.example", "hunter2-typed")

    (record,) = security_events()
    assert (record.getMessage(), record.reason) == ("login_failed", "wrong_credentials")
    assert record.login == "stella@distribuidora.example"
    assert record.path == reverse("admin:login")
    assert_never_logged(caplog, "hunter2-typed")


@pytest.mark.parametrize("form", ["portal", "admin"])
def test_a_spent_budget_is_logged_as_a_lockout(
    client, nina, stella, settings, security_events, form
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/5m/key"}
    attempt = log_in if form == "portal" else admin_log_in
    login = "nina@revenda-a.example" if form == "portal" else "stella@distribuidora.example"
    for _ in range(3):
        attempt(client, login, "wrong")

    assert [name for name, _ in summary(security_events())] == [
        "login_failed",
        "login_failed",
        "login_locked_out",
    ]
    assert security_events()[-1].login == login


def test_a_successful_login_is_logged_at_info_on_both_logins(client, nina, stella, security_events):
    log_in(client, "nina@revenda-a.example")
    client.post(reverse("account_logout"))
    admin_log_in(client, "stella@distribuidora.example", STAFF_PASSWORD)

    records = security_events()
    assert [(r.getMessage(), r.levelno) for r in records] == [
        ("login_succeeded", logging.INFO),
        ("login_succeeded", logging.INFO),
    ]
    nina_user = User.objects.get(email="nina@revenda-a.example")
    assert [r.user_id for r in records] == [nina_user.pk, stella.pk]


def test_a_store_identity_naming_a_staff_member_is_logged(
    client, ecommerce_server, stella, security_events
):
    ecommerce_server.add_user(
        "impostor@revenda-h.example", "pass-1", email="Stella@Distribuidora.example"
    )

    log_in(client, "impostor@revenda-h.example", "pass-1")

    assert summary(security_events()) == [
        ("store_identity_is_staff", None),
        ("login_failed", "wrong_credentials"),
    ]
    assert security_events()[0].user_id == stella.pk


# Behind a proxy, the admin login's per-IP limit counts the client.


def test_behind_a_proxy_the_admin_login_limit_counts_the_client_not_the_balancer(
    stella, settings, caplog
):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    balancer = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client(HTTP_X_FORWARDED_FOR="198.51.100.66", **balancer)
    for attempt in range(3):
        admin_log_in(attacker, f"guess{attempt}@distribuidora.example", "guess")

    refused = admin_log_in(attacker, "stella@distribuidora.example", STAFF_PASSWORD)
    staff = Client(HTTP_X_FORWARDED_FOR="203.0.113.20", **balancer)
    admitted = admin_log_in(staff, "stella@distribuidora.example", STAFF_PASSWORD)

    assert error_codes(refused) == ["too_many_login_attempts"]
    assert admitted.status_code == 302
    (lockout,) = [r for r in caplog.records if r.getMessage() == "login_locked_out"]
    assert lockout.ip == "198.51.100.66"

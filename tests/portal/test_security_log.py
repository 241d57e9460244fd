"""The security log (portal/security.py): request ids, the client's address behind a proxy, and
one structured line per event, never carrying a secret."""

import io
import json
import logging

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from portal import security
from tests.factories import EcommerceUserFactory, OrderFactory


@pytest.fixture
def security_lines(caplog):
    """The records of the portal.security logger, as dicts of their fields."""
    caplog.set_level(logging.INFO, logger="portal.security")

    def lines():
        return [
            {"event": r.getMessage(), **{k: v for k, v in vars(r).items() if k in FIELDS}}
            for r in caplog.records
            if r.name == "portal.security"
        ]

    return lines


FIELDS = {"login", "user_id", "ip", "request_id", "path", "method", "model", "lookup", "status"}


def request_with(remote="203.0.113.9", forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


# The request id ----------------------------------------------------------------------------------


def test_every_response_carries_a_request_id_of_its_own(client, db):
    first = client.get(reverse("account_login"))
    second = client.get(reverse("account_login"))

    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_request_id_from_the_client_is_ignored_unless_behind_a_proxy(client, db, settings):
    settings.BEHIND_PROXY = False
    response = client.get(reverse("account_login"), headers={"X-Request-ID": "lb-1234567890"})
    assert response["X-Request-ID"] != "lb-1234567890"

    settings.BEHIND_PROXY = True
    response = client.get(reverse("account_login"), headers={"X-Request-ID": "lb-1234567890"})
    assert response["X-Request-ID"] == "lb-1234567890"


@pytest.mark.parametrize("forged", ["a\nb-injected-line", "<script>", "x" * 500, "short"])
def test_a_malformed_request_id_from_the_proxy_is_replaced(forged, client, db, settings):
    settings.BEHIND_PROXY = True

    response = client.get(reverse("account_login"), headers={"X-Request-ID": forged})

    assert response["X-Request-ID"] != forged
    assert len(response["X-Request-ID"]) == 32


# The client's address ----------------------------------------------------------------------------


def test_without_a_proxy_the_client_is_the_remote_address_whatever_it_forwards(settings):
    settings.BEHIND_PROXY = False

    assert security.client_ip(request_with("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1

    # The client wrote "1.2.3.4" itself; the load balancer appended the address it saw.
    request = request_with("10.0.0.2", "1.2.3.4, 198.51.100.7")

    assert security.client_ip(request) == "198.51.100.7"


def test_behind_two_proxies_the_client_is_the_second_address_from_the_end(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 2

    request = request_with("10.0.0.3", "1.2.3.4, 198.51.100.7, 10.0.0.2")

    assert security.client_ip(request) == "198.51.100.7"


@pytest.mark.parametrize("forwarded", ["", "not-an-ip", "999.1.1.1", ",,,", "x" * 5000])
def test_a_garbled_forwarded_header_falls_back_to_the_remote_address(forwarded, settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1

    assert security.client_ip(request_with("10.0.0.2", forwarded)) == "10.0.0.2"


def test_behind_a_proxy_one_attacker_cannot_lock_everyone_out(db, settings):
    """Every request arrives from the load balancer's address; the per-IP limit must count the
    client named in X-Forwarded-For, or ten bad passwords would shut the portal for all."""
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
    user = EcommerceUserFactory(login="nina@revenda-a.example")
    balancer = {"REMOTE_ADDR": "10.0.0.2"}
    url = reverse("account_login")

    attacker = Client(HTTP_X_FORWARDED_FOR="198.51.100.66", **balancer)
    for attempt in range(12):
        attacker.post(url, {"login": f"victim{attempt}@example.com", "password": "guess"})
    refused = attacker.post(url, {"login": "nina@revenda-a.example", "password": "secret-123"})
    assert "_auth_user_id" not in attacker.session, refused.status_code

    someone_else = Client(HTTP_X_FORWARDED_FOR="203.0.113.20", **balancer)
    someone_else.post(url, {"login": user.login, "password": "secret-123"})
    assert someone_else.session.get("_auth_user_id")


# Events ------------------------------------------------------------------------------------------


def test_an_event_carries_the_login_the_ip_the_request_id_and_drops_secrets(security_lines):
    request = request_with("203.0.113.9")
    request.request_id = "req-0123456789"

    security.event(
        "login_failed", request, login="  Nina@Example.COM ", password="hunter2", token="t0k3n"
    )

    (line,) = security_lines()
    assert line["event"] == "login_failed"
    assert line["login"] == "nina@example.com"
    assert line["ip"] == "203.0.113.9"
    assert line["request_id"] == "req-0123456789"
    assert "hunter2" not in repr(line) and "t0k3n" not in repr(line)


def test_a_field_named_like_a_log_record_attribute_is_kept_under_another_name(caplog):
    caplog.set_level(logging.INFO, logger="portal.security")

    security.event("access_changed", module="orders", name="x")

    (record,) = [r for r in caplog.records if r.name == "portal.security"]
    assert record.module_ == "orders" and record.name_ == "x"


def test_json_lines_carry_the_event_the_request_id_and_the_utc_time():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(security.formatter("json"))
    logger = logging.getLogger("portal.security.test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("login_failed", extra={"login": "ana@x.example", "ip": "203.0.113.9"})
    finally:
        logger.removeHandler(handler)

    line = json.loads(stream.getvalue())
    assert line["event"] == "login_failed"
    assert line["login"] == "ana@x.example"
    assert line["level"] == "warning"
    assert line["timestamp"].endswith("Z")


def test_another_resellers_order_answers_404_and_is_logged(
    client_for, charlie, account_a, security_lines
):
    order = OrderFactory(account=account_a)

    response = client_for(charlie).get(reverse("orders:detail", args=[order.number]))

    assert response.status_code == 404
    (line,) = security_lines()
    assert line["event"] == "other_reseller_object"
    assert line["user_id"] == charlie.user_id
    assert line["model"] == "orders.Order"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["ip"] == "127.0.0.1"


def test_a_missing_order_answers_404_and_logs_nothing(client_for, charlie, security_lines):
    response = client_for(charlie).get(reverse("orders:detail", args=["NO-SUCH-ORDER"]))

    assert response.status_code == 404
    assert security_lines() == []


def test_a_403_is_logged_once_with_who_and_where(client_for, olga, security_lines):
    response = client_for(olga).get(reverse("commissions:list"))

    assert response.status_code == 403
    (line,) = security_lines()
    assert line["event"] == "forbidden"
    assert line["user_id"] == olga.user_id
    assert line["path"] == reverse("commissions:list")
    assert line["request_id"] == response["X-Request-ID"]

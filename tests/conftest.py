"""The cast, used across the suite:

- alice: reseller A's admin; bob: reseller A's collaborator with no module;
- olga: reseller A's collaborator with only the orders module;
- charlie: reseller B's admin (the outsider); stella: distributor staff.
"""

import importlib

import pytest
from django.apps import apps
from django.core.cache import cache

from collaborators.modules import Module
from portal import session_expiry

# A hook for every test: keeps phase reports; no browser test may skip under REQUIRE_BROWSER=1.
from tests.browser.hooks import pytest_runtest_makereport  # noqa: F401
from tests.ecommerce_server import EcommerceServer, use_store
from tests.factories import (
    CollaboratorFactory,
    ResellerAccountFactory,
    ResellerFactory,
    StaffFactory,
    UserFactory,
)

# The ERP import's fixtures, for the engine's tests and for those of the apps' kinds.
from tests.portal.erp_helpers import erp_accounts, imported  # noqa: F401


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Staff and store users hash passwords; the production hasher would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _initial_data_after_flush(request):
    """Transactional tests flush every table, data migrations' rows too: put the companies back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        migration = importlib.import_module("commissions.migrations.0002_companies")
        migration.create_companies(apps, None)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits live in the cache; each test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reseller_a(db):
    return ResellerFactory(name="Revenda A Ltda.", code="M000000000LL")


@pytest.fixture
def reseller_b(db):
    return ResellerFactory(name="Revenda B Ltda.", code="M000000000BB")


@pytest.fixture
def account_a(reseller_a):
    return ResellerAccountFactory(reseller=reseller_a)


@pytest.fixture
def account_b(reseller_b):
    return ResellerAccountFactory(reseller=reseller_b)


def _collaborator(email, name, reseller, **kwargs):
    return CollaboratorFactory(
        user=UserFactory(email=email, name=name), reseller=reseller, **kwargs
    )


@pytest.fixture
def alice(reseller_a):
    return _collaborator("alice@revenda-a.example", "Alice Almeida", reseller_a, is_admin=True)


@pytest.fixture
def bob(reseller_a):
    return _collaborator("bob@revenda-a.example", "Bob Barbosa", reseller_a)


@pytest.fixture
def olga(reseller_a):
    return _collaborator(
        "olga@revenda-a.example", "Olga Oliveira", reseller_a, modules=[Module.ORDERS]
    )


@pytest.fixture
def charlie(reseller_b):
    return _collaborator("charlie@revenda-b.example", "Charlie Costa", reseller_b, is_admin=True)


@pytest.fixture
def stella(db):
    return StaffFactory(email="stella@distribuidora.example", name="Stella Souza")


@pytest.fixture
def client_for(client):
    """Returns a test client logged in as the given collaborator or staff user."""

    def login(who):
        user = getattr(who, "user", who)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        # A real login's answer starts the session's clock (portal.session_expiry); force_login
        # does not pass through the middleware, so without this the first request would.
        session = client.session
        session[session_expiry.STARTED] = session[session_expiry.SEEN] = session_expiry.now()
        session.save()
        return client

    return login


@pytest.fixture
def ecommerce_server(settings):
    """A real e-commerce store on loopback (tests/ecommerce_server.py), with the portal's
    settings pointing at it. It speaks plain http, which the portal refuses unless told it is
    development. The timeout is short so that the slow-store tests stay quick."""
    with EcommerceServer() as server:
        use_store(settings, server, allow_http=True, timeout=0.5)
        yield server

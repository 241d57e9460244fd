"""More of reseller A's people, for the Colaboradores pages (the cast is in tests/conftest.py):

- carla: a collaborator with only the collaborators module (manages access, but is no admin);
- dave: a second admin of reseller A;
- dina: a deactivated collaborator of reseller A with the orders module.
"""

import pytest
from django.test import Client

from collaborators.modules import Module
from tests.factories import CollaboratorFactory, UserFactory


def collaborator(email, name, reseller, **kwargs):
    return CollaboratorFactory(
        user=UserFactory(email=email, name=name), reseller=reseller, **kwargs
    )


@pytest.fixture
def carla(reseller_a):
    return collaborator(
        "carla@revenda-a.example", "Carla Cardoso", reseller_a, modules=[Module.COLLABORATORS]
    )


@pytest.fixture
def dave(reseller_a):
    return collaborator("dave@revenda-a.example", "Dave Duarte", reseller_a, is_admin=True)


@pytest.fixture
def dina(reseller_a):
    return collaborator(
        "dina@revenda-a.example",
        "Dina Dias",
        reseller_a,
        is_active=False,
        modules=[Module.ORDERS],
    )


@pytest.fixture
def clients():
    """A separate logged-in client per person: two people using the portal at once."""

    def client(who):
        c = Client()
        c.force_login(who.user, backend="django.contrib.auth.backends.ModelBackend")
        return c

    return client

"""The demo's collaborators: a step of `manage.py demo_data`, after accounts/demo.py.

As in production, portal users appear at their first login. The exceptions are the collaborators
who "have logged in before" (pedidos@ and the colleagues), so the modules an admin granted them
are there already, with the audit of each change.

Reads `resellers` from the context; leaves in it `users` ({login: User} of the colleagues) and
`pedidos` (pedidos@'s Collaborator).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import ProtectedError

from accounts import demo as accounts_demo
from accounts.demo import ADMIN_A, ADMIN_B, NOVO, PEDIDOS
from accounts.models import Reseller, User
from collaborators.models import AccessChange, Collaborator
from collaborators.modules import Module
from portal.demokit import HOURS_3, Step, insert_dated


@dataclass(frozen=True)
class Colleague:
    """A store user (accounts/demo.py's COLLEAGUES) who has logged in before and was given
    access by an admin."""

    login: str
    modules: tuple[str, ...]
    first_days_ago: int
    last_days_ago: int
    is_active: bool = True

    @property
    def store_user(self):
        return accounts_demo.colleague(self.login)


COLLEAGUES = (
    Colleague("gerente@revenda-a.example", (), 410, 1),
    Colleague(
        "financeiro@revenda-a.example",
        (Module.COMMISSIONS_TRACK, Module.COMMISSIONS_REQUEST, Module.NF_REPORT),
        395,
        2,
    ),
    Colleague("comercial@revenda-a.example", (Module.ORDERS, Module.COMMISSIONS_TRACK), 240, 3),
    Colleague("logistica@revenda-a.example", (Module.ORDERS,), 180, 6),
    Colleague("rh@revenda-a.example", (Module.COLLABORATORS,), 90, 12),
    Colleague("marcos.alves@revenda-a.example", (Module.ORDERS,), 330, 95, is_active=False),
    Colleague(
        "financeiro@revenda-b.example",
        (Module.ORDERS, Module.COMMISSIONS_TRACK, Module.COMMISSIONS_REQUEST, Module.NF_REPORT),
        380,
        4,
    ),
)
# pedidos@ logged in before and was given the orders module, like these colleagues.
PEDIDOS_FIRST_DAYS_AGO, PEDIDOS_LAST_DAYS_AGO = 60, 3
FIRST_LOGIN = {"is_admin": False, "modules": [], "is_active": True}


def build(ctx):
    reset(ctx)
    ctx.users = {}
    admins = {}
    changes = []
    # Admins first: they are the ones who granted the others their modules.
    for colleague in sorted(COLLEAGUES, key=lambda c: not c.store_user.is_admin):
        changes += add_colleague(ctx, colleague, admins)
    # pedidos@ logged in before and reseller A's manager gave it the orders module.
    pedidos = ctx.pedidos
    after = {**FIRST_LOGIN, "modules": [Module.ORDERS.value]}
    changes += [
        access_change(pedidos, None, {}, FIRST_LOGIN, pedidos.first_access, "first login"),
        access_change(pedidos, admins["A"], FIRST_LOGIN, after, pedidos.first_access + HOURS_3),
    ]
    insert_dated(AccessChange, changes, "changed_at")
    ctx.counts["collaborators"] = Collaborator.objects.filter(
        reseller__in=ctx.resellers.values()
    ).count()


def add_colleague(ctx, colleague, admins):
    """Creates the colleague's portal user as their first login did, with the access they were
    given; returns the changes to their access, to be audited."""
    store_user = colleague.store_user
    first = ctx.at(ctx.day(colleague.first_days_ago), 9, 12)
    user = User.objects.create_user(colleague.login, name=store_user.name)
    collaborator = Collaborator.objects.create(
        user=user,
        reseller=ctx.resellers[store_user.reseller],
        is_admin=store_user.is_admin,
        is_active=colleague.is_active,
        first_access=first,
        last_access=ctx.at(ctx.day(colleague.last_days_ago), 8, 47),
        version=bool(colleague.modules) + (not colleague.is_active),
    )
    collaborator.set_modules(colleague.modules)
    ctx.users[colleague.login] = user
    if store_user.is_admin:
        admins[store_user.reseller] = user
    grantor = admins.get(store_user.reseller)

    state = {**FIRST_LOGIN, "is_admin": store_user.is_admin}
    changes = [access_change(collaborator, None, {}, state, first, "first login")]
    if colleague.modules:
        after = {**state, "modules": sorted(colleague.modules)}
        changes.append(access_change(collaborator, grantor, state, after, first + HOURS_3))
        state = after
    if not colleague.is_active:
        after = {**state, "is_active": False}
        when = ctx.at(ctx.day(colleague.last_days_ago - 1), 17, 30)
        changes.append(access_change(collaborator, grantor, state, after, when))
    return changes


def access_change(collaborator, by, before, after, when, reason=""):
    return AccessChange(
        collaborator=collaborator,
        changed_by=by,
        before=before,
        after=after,
        reason=reason,
        changed_at=when,
    )


def reset(ctx):
    """pedidos@ has exactly the orders module; novo@ has never logged in (its portal user, if
    any, goes); the admins are admins."""
    ctx.pedidos = reset_pedidos(ctx)
    reset_novo()
    Collaborator.objects.filter(user__email__in=[ADMIN_A.login, ADMIN_B.login]).update(
        is_admin=True, is_active=True
    )


def reset_pedidos(ctx):
    reseller = Reseller.objects.get(code=accounts_demo.reseller(PEDIDOS.reseller).code)
    user = User.objects.filter(email__iexact=PEDIDOS.login).first()
    if user is None:
        user = User.objects.create_user(PEDIDOS.login, name=PEDIDOS.name)
    pedidos, _ = Collaborator.objects.update_or_create(
        user=user,
        defaults={"reseller": reseller, "is_admin": False, "is_active": True},
        create_defaults={
            "reseller": reseller,
            "first_access": ctx.at(ctx.day(PEDIDOS_FIRST_DAYS_AGO), 10, 5),
            "last_access": ctx.at(ctx.day(PEDIDOS_LAST_DAYS_AGO), 8, 31),
        },
    )
    pedidos.set_modules([Module.ORDERS])
    return pedidos


def reset_novo():
    novo = User.objects.filter(email__iexact=NOVO.login).first()
    if novo is None:
        return
    try:
        with transaction.atomic():
            novo.delete()
    except ProtectedError:
        # It has made commission requests meanwhile; keep it, but without any access.
        collaborator = Collaborator.objects.get(user=novo)
        collaborator.is_admin, collaborator.is_active = False, True
        collaborator.save(update_fields=["is_admin", "is_active"])
        collaborator.set_modules([])


def wipe(ctx):
    """Deletes the users of the demo resellers' collaborators (never staff), and with them the
    collaborators, their modules and the audit of their access."""
    User.objects.filter(
        collaborator__reseller__in=accounts_demo.demo_resellers(), is_staff=False
    ).delete()


step = Step(build=build, wipe=wipe, reset=reset)

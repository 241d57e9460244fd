"""The demo data set's resellers and logins: the first step of `manage.py demo_data`.

Two resellers, A with three accounts and B with two; the users of the local e-commerce store, who
log in with the demo password; the distributor's staff superuser. As in production, portal users
appear at their first login (the colleagues who have logged in before are collaborators/demo.py's).

Leaves in the context: `resellers` and `accounts` ({reseller key: Reseller, [ResellerAccount]}),
`staff` (the staff user, or None on a database with real users) and `staff_disabled`. Reads
`real_users`, which the runner counts before anything is deleted (`real_users()`).
"""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import EcommerceUser, Reseller, ResellerAccount, User
from portal.demokit import Step, make_cnpj

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class AccountSpec:
    code: str
    branch: int
    name: str


@dataclass(frozen=True)
class ResellerSpec:
    key: str
    root: str  # the eight digits of the CNPJ root
    name: str
    code: str
    accounts: tuple[AccountSpec, ...]

    @property
    def cnpj(self):
        return make_cnpj(self.root, 1)


RESELLERS = (
    ResellerSpec(
        key="A",
        root="34516278",
        name="Aurora Tecnologia e Serviços de Informática Ltda.",
        code="M000000000LL",
        accounts=(
            AccountSpec("M000000000LL", 1, "Aurora Tecnologia — Matriz São Paulo"),
            AccountSpec("M000000017LL", 2, "Aurora Tecnologia — Filial Campinas"),
            AccountSpec("M000000023LL", 3, "Aurora Tecnologia — Filial Rio de Janeiro"),
        ),
    ),
    ResellerSpec(
        key="B",
        root="27894103",
        name="Bandeirantes Sistemas e Redes Ltda.",
        code="M000000000BB",
        accounts=(
            AccountSpec("M000000000BB", 1, "Bandeirantes Sistemas — Matriz Belo Horizonte"),
            AccountSpec("M000000031BB", 2, "Bandeirantes Sistemas — Filial Uberlândia"),
        ),
    ),
)


@dataclass(frozen=True)
class DemoLogin:
    login: str
    who: str
    name: str
    reseller: str | None  # None: distributor staff, who are not in the e-commerce store
    store_admin: bool = False


LOGINS = (
    DemoLogin("admin@revenda-a.example", "reseller A's admin", "Ana Paula Moreira", "A", True),
    DemoLogin("pedidos@revenda-a.example", "only Status de pedidos", "Pedro Henrique Lima", "A"),
    DemoLogin(
        "novo@revenda-a.example",
        "has never logged in; no modules after the first login",
        "Natália Ribeiro",
        "A",
    ),
    DemoLogin("admin@revenda-b.example", "reseller B's admin", "Bruno Carvalho", "B", True),
    DemoLogin(
        "staff@distribuidora.example", "distributor staff (Django admin)", "Sérgio Tavares", None
    ),
)
ADMIN_A, PEDIDOS, NOVO, ADMIN_B, STAFF = LOGINS


@dataclass(frozen=True)
class StoreUser:
    login: str
    name: str
    reseller: str
    is_admin: bool = False


# The resellers' other e-commerce users: colleagues who have logged in before, so the access an
# admin gave them is there already (collaborators/demo.py).
COLLEAGUES = (
    StoreUser("gerente@revenda-a.example", "Fernanda Lima Rocha", "A", is_admin=True),
    StoreUser("financeiro@revenda-a.example", "Carlos Eduardo Santos", "A"),
    StoreUser("comercial@revenda-a.example", "Juliana Pereira Costa", "A"),
    StoreUser("logistica@revenda-a.example", "Rafael Souza Martins", "A"),
    StoreUser("rh@revenda-a.example", "Patrícia Gomes Nunes", "A"),
    StoreUser("marcos.alves@revenda-a.example", "Marcos Vinícius Alves", "A"),
    StoreUser("financeiro@revenda-b.example", "Luciana Barros Teixeira", "B"),
)


def reseller(key):
    return next(spec for spec in RESELLERS if spec.key == key)


def colleague(login):
    return next(c for c in COLLEAGUES if c.login == login)


def store_users():
    """Everyone in the local e-commerce store: the demo logins, then the colleagues."""
    logins = [StoreUser(d.login, d.name, d.reseller, d.store_admin) for d in LOGINS if d.reseller]
    return [*logins, *COLLEAGUES]


def demo_logins():
    """Every login the demo creates a portal user for, at once or at the user's first login."""
    return [d.login for d in LOGINS] + [c.login for c in COLLEAGUES]


def real_users():
    """Users the demo did not create: their database may be a real one."""
    logins = [login.lower() for login in demo_logins()]
    return User.objects.annotate(login=Lower("email")).exclude(login__in=logins)


def login_table(*, staff=True):
    """The demo logins as rows of (login, password, who)."""
    return [(d.login, DEMO_PASSWORD, d.who) for d in LOGINS if staff or d is not STAFF]


def demo_resellers():
    """The demo's resellers, and any that took their codes or CNPJs."""
    return Reseller.objects.filter(
        Q(code__in=[s.code for s in RESELLERS]) | Q(cnpj__in=[s.cnpj for s in RESELLERS])
    )


def demo_accounts():
    """The accounts of the demo's resellers, and any that took the demo accounts' codes."""
    return ResellerAccount.objects.filter(
        Q(reseller__in=demo_resellers())
        | Q(code__in=[a.code for s in RESELLERS for a in s.accounts])
    )


# -- the step -------------------------------------------------------------------------------------


def build(ctx):
    ctx.resellers, ctx.accounts = {}, {}
    for spec in RESELLERS:
        reseller = Reseller.objects.create(cnpj=spec.cnpj, name=spec.name, code=spec.code)
        ctx.resellers[spec.key] = reseller
        ctx.accounts[spec.key] = [
            ResellerAccount.objects.create(
                reseller=reseller,
                code=account.code,
                cnpj=make_cnpj(spec.root, account.branch),
                name=account.name,
            )
            for account in spec.accounts
        ]
    ctx.counts["resellers"] = len(ctx.resellers)
    ctx.counts["accounts"] = sum(len(a) for a in ctx.accounts.values())
    reset(ctx)


def reset(ctx):
    """Puts the store users back where the README says they land, and the staff login.

    Store users get the demo password back, unlocked and active. The staff login, a superuser
    with a published password, exists only on a database where every user is the demo's (see
    `demo_staff`).
    """
    resellers = {spec.key: Reseller.objects.get(code=spec.code) for spec in RESELLERS}
    # PBKDF2 takes a good part of a second per hash, so the demo users share one.
    password = make_password(DEMO_PASSWORD)
    for user in store_users():
        EcommerceUser.objects.update_or_create(
            login=user.login,
            defaults={
                "password": password,
                "name": user.name,
                "reseller": resellers[user.reseller],
                "is_admin": user.is_admin,
                "is_active": True,
                "is_locked": False,
            },
        )
    ctx.staff, ctx.staff_disabled = demo_staff(password, real_users=ctx.real_users)


def demo_staff(password, *, real_users):
    """The demo's superuser with the demo password, or None when the database has real users.

    Returns (user or None, whether an earlier demo superuser lost the demo password). On a
    database with real users, a superuser whose password is printed in the README would let
    anyone into the admin: it is not created, and one left by an earlier run keeps no demo
    password.
    """
    staff = User.objects.filter(email__iexact=STAFF.login).first()
    if real_users:
        if staff is not None and staff.check_password(DEMO_PASSWORD):
            staff.set_unusable_password()
            staff.save(update_fields=["password"])
            return None, True
        return None, False
    if staff is None:
        staff = User.objects.create_superuser(STAFF.login, name=STAFF.name)
    staff.password = password
    staff.is_staff = staff.is_superuser = staff.is_active = True
    staff.save()
    return staff, False


def wipe(ctx):
    """Deletes the demo's users (never staff), store users, accounts and resellers."""
    resellers = demo_resellers()
    logins = [user.login for user in store_users()]
    User.objects.filter(email__in=logins, is_staff=False).delete()
    EcommerceUser.objects.filter(Q(reseller__in=resellers) | Q(login__in=logins)).delete()
    demo_accounts().delete()
    resellers.delete()


def present(ctx):
    return Reseller.objects.filter(code__in=[s.code for s in RESELLERS]).count() == len(RESELLERS)


step = Step(build=build, wipe=wipe, reset=reset, present=present)

"""The demo's steps (settings.DEMO_STEPS) and the runner that runs them."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from demo import runner
from portal.demokit import Step

ROOT = Path(__file__).resolve().parents[2]
AREA_APPS = {"accounts", "collaborators", "orders", "commissions", "nfreport", "support", "demo"}
CALLS = []


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def step_modules():
    """{module: (position of its first step, position of its last step)}."""
    modules = {}
    for position, path in enumerate(settings.DEMO_STEPS):
        module = path.rsplit(".", 1)[0]
        modules[module] = (modules.get(module, (position,))[0], position)
    return modules


def test_every_step_is_a_step():
    assert all(isinstance(step, Step) for step in runner.demo_steps())


def test_no_step_imports_the_demo_module_of_a_later_step():
    modules = step_modules()
    for module, (first, _) in modules.items():
        path = ROOT / (module.replace(".", "/") + ".py")
        imported = {m for m in imported_modules(path) if m in modules}
        # A module that imports another runs all its steps after that one's last.
        later = {m for m in imported if modules[m][1] >= first}
        assert later == set(), f"{module} imports {later}, which has steps after its own"


def test_the_kit_imports_no_area_app():
    imported = set(imported_modules(ROOT / "portal" / "demokit.py"))
    assert {m.split(".")[0] for m in imported} & AREA_APPS == set()


def test_nothing_imports_the_demo_app():
    tops = [
        top
        for top in ROOT.iterdir()
        if top.is_dir() and top.name not in {"demo", "tests"} and not top.name.startswith(".")
    ]
    files = [*ROOT.glob("*.py"), *(path for top in tops for path in top.rglob("*.py"))]
    importers = [
        str(path.relative_to(ROOT))
        for path in files
        if any(m == "demo" or m.startswith("demo.") for m in imported_modules(path))
    ]
    assert files and importers == []


def recorder(name, present=True):
    return Step(
        build=lambda ctx: CALLS.append(("build", name)),
        wipe=lambda ctx: CALLS.append(("wipe", name)),
        reset=lambda ctx: CALLS.append(("reset", name)),
        present=lambda ctx: present,
    )


FIRST, SECOND, ABSENT = recorder("first"), recorder("second"), recorder("absent", present=False)


@pytest.fixture
def steps(settings):
    CALLS.clear()

    def use(*names):
        settings.DEMO_STEPS = [f"{__name__}.{name}" for name in names]

    return use


@pytest.mark.django_db
def test_a_build_wipes_in_reverse_order_then_builds_in_order(steps):
    steps("FIRST", "SECOND", "ABSENT")

    loaded = runner.load()

    assert CALLS == [
        ("wipe", "absent"),
        ("wipe", "second"),
        ("wipe", "first"),
        ("build", "first"),
        ("build", "second"),
        ("build", "absent"),
    ]
    assert loaded.counts == {"status changes": 0}


@pytest.mark.django_db
def test_when_every_step_is_there_only_the_logins_are_reset(steps):
    steps("FIRST", "SECOND")

    loaded = runner.load()

    assert CALLS == [("reset", "first"), ("reset", "second")]
    assert loaded.counts is None


@pytest.mark.django_db
def test_a_rebuild_builds_even_when_every_step_is_there(steps):
    steps("FIRST")

    runner.load(rebuild=True)

    assert CALLS == [("wipe", "first"), ("build", "first")]

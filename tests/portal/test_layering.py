"""The layers, read from the source with `ast`: `portal/` is the floor that every area app builds
on, so outside the project's shell it imports no area app; and no module hides a dependency by
importing inside a function body."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
AREA_APPS = ("accounts", "collaborators", "orders", "commissions", "nfreport", "support", "demo")
# The project's shell: it wires the areas together, so it may name them.
SHELL = {"settings.py", "urls.py", "views.py", "menu.py", "context_processors.py"}
# Django's documented place to wire what needs the app registry loaded (signals, checks).
READY_HOOK = ("apps.py", "ready")


def python_files(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imported_modules(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    # A relative import (level > 0) stays inside its own package.
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def area_imports(path, root=ROOT):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        for module in imported_modules(node):
            if module.split(".")[0] in AREA_APPS:
                yield f"{path.relative_to(root)}:{node.lineno} imports {module}"


def imports_in_functions(path, root=ROOT):
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if (path.name, function.name) == READY_HOOK:
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield f"{path.relative_to(root)}:{node.lineno} imports inside {function.name}()"


def test_portal_imports_no_area_app_outside_the_shell():
    found = [
        line
        for path in python_files("portal")
        if path.name not in SHELL or path.parent != ROOT / "portal"
        for line in area_imports(path)
    ]

    assert found == [], "portal/ is the floor; move this code to the app that owns it:\n" + (
        "\n".join(found)
    )


@pytest.mark.parametrize("package", ["portal", *AREA_APPS])
def test_no_module_imports_inside_a_function_body(package):
    found = [line for path in python_files(package) for line in imports_in_functions(path)]

    assert found == [], "an import inside a function hides a dependency:\n" + "\n".join(found)


def test_the_checks_see_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom orders.models import Order\n\ndef f():\n    import json\n")

    assert list(area_imports(bad, tmp_path)) == ["bad.py:2 imports orders.models"]
    assert list(imports_in_functions(bad, tmp_path)) == ["bad.py:5 imports inside f()"]

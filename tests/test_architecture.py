"""The two entry scripts keep to their side (the packages' contracts are in pyproject.toml and
run by ``lint-imports``, which cannot read a top-level script)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(script: str) -> set[str]:
    tree = ast.parse((ROOT / script).read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(
    ("script", "forbidden"),
    [
        ("scheduler.py", ("stockmon.app", "pages", "streamlit")),
        ("streamlit_app.py", ("stockmon.scheduler",)),
    ],
)
def test_an_entry_script_imports_nothing_of_the_other_side(script, forbidden):
    crossing = sorted(
        module
        for module in imported_modules(script)
        if any(module == side or module.startswith(side + ".") for side in forbidden)
    )
    assert crossing == []


def test_the_check_sees_an_import_across():
    assert "stockmon.scheduler.service" in imported_modules("stockmon/app/embedded.py")

"""The two entry scripts keep to their side (the packages' contracts are in pyproject.toml and
run by ``lint-imports``, which cannot read a top-level script)."""

from __future__ import annotations

import ast
import re
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


def test_money_is_written_by_one_module():
    """Every price, gain and change goes through ``stockmon.domain.money``: no module writes
    its own two-decimal format (the drift was `%.2f` without thousands separators)."""
    two_decimals = re.compile(r"[:%][+,]*\.2f")
    sources = [*(ROOT / "stockmon").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
    writing_their_own = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        if path.name != "money.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if two_decimals.search(line) and "animation" not in line
    ]
    assert writing_their_own == []


def test_every_refusal_of_the_domain_shares_one_base():
    import importlib
    import inspect
    import pkgutil

    import stockmon.domain
    from stockmon.domain.errors import StockmonError

    refusals = {
        f"{module.name}.{name}": cls
        for module in pkgutil.iter_modules(stockmon.domain.__path__, "stockmon.domain.")
        for name, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass)
        if name.endswith("Error") and cls.__module__ == module.name
    }
    assert len(refusals) >= 8
    assert [name for name, cls in refusals.items() if not issubclass(cls, StockmonError)] == []


def test_pages_show_refusals_through_one_helper():
    """No page catches a refusal to show it itself (``stockmon.app.refusals`` does)."""
    caught = re.compile(r"except\s+[\w.]*Error\s+as\s+\w+")
    found = [
        f"pages/{path.name}:{number}"
        for path in (ROOT / "pages").glob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if caught.search(line)
    ]
    assert found == []

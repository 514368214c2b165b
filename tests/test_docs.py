"""The operating guide's settings table and ``Settings`` name the same variables."""

from __future__ import annotations

import re
from pathlib import Path

from stockmon.domain.config import Settings

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "operating.md"


def documented() -> set[str]:
    text = GUIDE.read_text()
    table = text[text.index("## Configuration") :].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", table, re.M))


def test_every_setting_is_documented_and_every_documented_one_exists():
    settings = {field.alias for field in Settings.model_fields.values() if field.alias}
    assert sorted(settings - documented()) == [], "missing from docs/operating.md"
    assert sorted(documented() - settings) == [], "not a setting"


def test_the_readme_links_to_every_guide():
    readme = (GUIDE.parent.parent / "README.md").read_text()
    for guide in GUIDE.parent.glob("*.md"):
        assert f"](docs/{guide.name}" in readme

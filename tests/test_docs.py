"""The README documents what the code does: the layer schema and summary.json's fields."""

from __future__ import annotations

import re
from pathlib import Path

from evacsim.area.schema import schema_markdown
from tests.support.paths import REPO
from tests.support.tiny_area import tiny_scenario

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_schema_is_the_code_schema() -> None:
    block = re.search(r"<!-- schema:begin.*?-->\n(.*?)\n<!-- schema:end -->", README, re.S)
    assert block is not None
    assert block.group(1).strip() == schema_markdown().strip()


def test_readme_documents_every_summary_field(tiny_area_dir: Path) -> None:
    from evacsim.pipeline import run

    scenario = tiny_area_dir.parent / "s.toml"
    scenario.write_text(
        tiny_scenario(name="doc", area=tiny_area_dir.name, buses=None), encoding="utf-8"
    )
    summary = run(scenario).summary
    table = README.split("`summary.json` fields", 1)[1]
    for key in summary:
        assert f"`{key}`" in table, key

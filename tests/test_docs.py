"""The README cannot drift from the code: every setting and command is documented."""

from __future__ import annotations

import re

from rag.cli import COMMANDS
from rag.config import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"RAG_{name.upper()}" in README, f"RAG_{name.upper()} is missing from the README's settings table"


def test_every_setting_has_a_description():
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} needs a description"


def test_every_command_is_shown():
    for command in COMMANDS:
        assert f"rag {command}" in README, f"`rag {command}` is not shown in the README"


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    block = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make serve", "make test"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.MULTILINE)

"""The README cannot drift from the code: every setting and command is documented."""

from __future__ import annotations

import re

from pydantic import BaseModel

from rag.cli import COMMANDS
from rag.config import LEGACY_ENV, PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _settings() -> list[tuple[str, str, str | None]]:
    """(dotted name, environment variable, description) of every leaf setting."""
    out = []
    for name, field in Settings.model_fields.items():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            for sub, subfield in group.model_fields.items():
                out.append((f"{name}.{sub}", f"RAG_{name.upper()}__{sub.upper()}", subfield.description))
        else:
            out.append((name, f"RAG_{name.upper()}", field.description))
    return out


def test_every_setting_is_documented():
    names = _settings()
    assert any("." in name for name, _, _ in names)  # the groups are walked
    for _, env, _ in names:
        assert env in README, f"{env} is missing from the README's settings table"
    for env in LEGACY_ENV:
        assert env in README, f"{env} is missing from the README's settings table"


def test_every_setting_has_a_description():
    for name, _, description in _settings():
        assert description, f"Settings.{name} needs a description"


def test_every_command_is_shown():
    for command in COMMANDS:
        assert f"rag {command}" in README, f"`rag {command}` is not shown in the README"


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    block = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make serve", "make test"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.MULTILINE)

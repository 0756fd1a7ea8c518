"""The core library imports nothing above it: the HTTP API and the evaluation sit on top."""

from __future__ import annotations

import ast
import subprocess
import sys

from rag.config import PROJECT_ROOT

ABOVE = ("api", "eval", "langchain", "langchain_chroma", "langchain_huggingface", "matplotlib")


def _imported_roots(path) -> set[str]:
    """Top-level packages a module imports at module level (not inside functions)."""
    roots = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_core_module_imports_api_or_eval_at_module_level():
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(_imported_roots(path) & set(ABOVE))
        for path in (PROJECT_ROOT / "rag").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_loading_the_cli_and_the_pipeline_pulls_in_nothing_above_the_core():
    code = (
        "import sys, rag.cli, rag.pipeline, rag.contract\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({ABOVE!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert result.stdout.strip() == "[]"


def test_importing_the_settings_changes_no_environment_variable():
    code = "import os; before = dict(os.environ); import rag.config, rag.pipeline; print(dict(os.environ) == before)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert result.stdout.strip() == "True"

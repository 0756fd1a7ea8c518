"""Schemathesis over the whole API, driven by the server's own /openapi.json.

A real server with an API key, on a scratch data folder holding the built-in
corpus; every operation (writes included), every check, a fixed seed and a
bounded number of examples. Any finding fails the test. The run is repeated
with reads protected, since the document's security follows the settings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rag.consistency import store_problems

KEY = "fuzz-key"
SEED = 20261130
MAX_EXAMPLES = 40
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.parametrize("protect_reads", [False, True], ids=["open-reads", "protected-reads"])
def test_schemathesis_finds_nothing(start_server, settings_for, tmp_path, protect_reads):
    server = start_server(settings_for(tmp_path / "data", api_key=KEY, protect_reads=protect_reads, max_upload_bytes=200_000))
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", f"{server.url}/openapi.json",
        "--checks", "all", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--workers", "1",
        "--header", f"Authorization: Bearer {KEY}", "--request-timeout", "60", "--no-color",
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    summary = run.stdout[run.stdout.rindex("Test cases:"):].splitlines()[1].strip()
    print(f"schemathesis ({'protected' if protect_reads else 'open'} reads): {summary}")
    assert " found " not in summary, summary
    assert store_problems(server.pipeline) == []

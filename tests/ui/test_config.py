"""What the page offers follows what the server supports (no browser needed)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.schemas import AskRequest, Filters
from api.ui import routes
from rag.config import LlmSettings, Settings


def server_settings(**values: Any) -> Any:
    defaults = {"api_key": None, "protect_reads": False, "max_upload_bytes": 1000, "llm": LlmSettings()}
    return SimpleNamespace(**{**defaults, **values})


class FiltersWithStatus(Filters):
    in_force: bool | None = None


def test_filters_are_the_servers(monkeypatch):
    assert routes.page_config(server_settings())["filters"] == sorted(Filters.model_fields)
    monkeypatch.setattr(routes, "Filters", FiltersWithStatus)
    assert "in_force" in routes.page_config(server_settings())["filters"]


@pytest.mark.parametrize(("model_url", "offered"), [(None, []), ("http://127.0.0.1:9/v1", routes.ANSWER_MODES)])
def test_answer_modes_need_a_model(model_url, offered):
    settings = server_settings(llm=LlmSettings(base_url=model_url))
    assert routes.page_config(settings)["answer_modes"] == offered
    assert set(offered) <= set(get_args(get_args(AskRequest.model_fields["mode"].annotation)[0]))  # the API takes them


def test_keys():
    assert routes.page_config(server_settings())["writes_need_key"] is False
    protected = routes.page_config(server_settings(api_key=SecretStr("k")))
    assert protected["writes_need_key"] is True and protected["reads_need_key"] is False
    assert routes.page_config(server_settings(api_key=SecretStr("k"), protect_reads=True))["reads_need_key"] is True
    assert routes.page_config(server_settings(api_key=SecretStr(""), protect_reads=True))["reads_need_key"] is False


def test_the_ask_view_shows_the_optional_controls_only_when_offered(monkeypatch, tmp_path):
    client = TestClient(create_app(Settings(data_dir=tmp_path)))  # no lifespan: the views need no index
    plain = client.get("/").text
    assert 'id="f-in-force"' in plain  # the service filters by status
    assert 'id="f-mode"' not in plain  # no language model configured
    bare = {**routes.page_config(Settings(data_dir=tmp_path)), "filters": [], "answer_modes": []}
    monkeypatch.setattr(routes, "page_config", lambda settings: bare)
    assert 'id="f-in-force"' not in client.get("/").text
    offered = {**routes.page_config(Settings(data_dir=tmp_path)), "filters": ["in_force"], "answer_modes": routes.ANSWER_MODES}
    monkeypatch.setattr(routes, "page_config", lambda settings: offered)
    page = client.get("/").text
    assert '<input type="checkbox" id="f-in-force" name="in_force">' in page
    assert '<label for="f-in-force">In force only</label>' in page
    assert '<label for="f-mode">Answer mode</label>' in page
    assert all(f'<option value="{mode}">{mode}</option>' in page for mode in routes.ANSWER_MODES)

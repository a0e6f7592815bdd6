"""Real action definitions (read in place from ../shared/corpus) load into the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus_util import FUNCTION_TYPE, as_post_input

from .helpers import ACTIONS, Api
from .test_functions import publish_function

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "real-actions"
FILES = sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent"),
]


@pytest.mark.parametrize("path", FILES, ids=[p.name[:60] for p in FILES])
def test_real_action_round_trips(api: Api, path: Path) -> None:
    item = json.loads(path.read_text(encoding="utf-8"))
    integrations = api.get("/api/v2/integrations").json()["entities"]
    body = as_post_input(item, integrations)
    if item.get("integrationType") == FUNCTION_TYPE:
        # Function actions cannot be created published; the API requires the draft path.
        assert api.post(ACTIONS, json=body).status_code == 400
        draft = api.post(f"{ACTIONS}/drafts", json=body)
        assert draft.status_code == 200, draft.text
        action_id = draft.json()["id"]
        # ...and publish only with a code package, which the UI export does not carry.
        early = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 1})
        assert early.status_code == 400
        published = publish_function(api, action_id)
        assert published.status_code == 200, published.text
    else:
        created = api.post(ACTIONS, json=body)
        assert created.status_code == 200, created.text
        action_id = created.json()["id"]
    fetched = api.get(
        f"{ACTIONS}/{action_id}", params={"expand": "contract", "includeConfig": "true"}
    ).json()
    assert fetched["contract"]["input"]["inputSchema"] == item["contract"]["input"]["inputSchema"]
    request = item["config"]["request"]
    assert fetched["config"]["request"].get("requestUrlTemplate") == request.get(
        "requestUrlTemplate"
    )
    template = api.get(f"{ACTIONS}/{action_id}/templates/requesttemplate.vm").text
    assert template == request.get("requestTemplate", "${input.rawRequest}")

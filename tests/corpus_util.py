"""Real-world action files of ../shared/corpus, turned into API request bodies."""

from __future__ import annotations

from typing import Any

FUNCTION_TYPE = "function-data-actions"


def as_post_input(item: dict[str, Any], integrations: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``PostActionInput`` for one corpus file, aimed at the integration of its type.

    UI exports name an integration type; API-format files carry placeholder ids.
    """
    wanted = item.get("integrationType", "purecloud-data-actions")
    target = next(i for i in integrations if i["integrationType"]["id"] == wanted)
    body = {k: v for k, v in item.items() if k not in ("integrationType", "actionType")}
    body["integrationId"] = target["id"]
    body["category"] = target["name"]
    return body

"""A declaration's status and its decision's reasons, as the portal, the consoles and the lodging API show them."""

import json


def status_of(declaration_id: str, decided: dict, statuses: dict) -> str:
    """held / released / detained / seized once the control chain tracks it, else assessed or lodged."""
    return statuses.get(declaration_id) or ("assessed" if declaration_id in decided else "lodged")


def reasons(explanation: str | dict | None) -> list[dict]:
    """A decision's reasons in words: random control, profile hits, each screen's findings, capacity notes."""
    if not explanation:
        return []
    explanation = json.loads(explanation) if isinstance(explanation, str) else explanation
    out = []
    if explanation.get("random"):
        out.append({"kind": "random", "name": "random", "text": "random control sample"})
    for hit in explanation.get("profiles") or []:
        out.append({"kind": "profile", "name": str(hit.get("id")), "text": str(hit.get("matched") or "")})
    for name, score in (explanation.get("scores") or {}).items():
        coded = score.get("reasons")  # the same reasons as codes and parameters (pages write them in words)
        for at, part in enumerate(filter(None, (score.get("reason") or "").split(" | "))):
            out.append({"kind": "screen", "name": name, "text": part}
                       | ({"codes": coded} if at == 0 else {"with_codes": True} if coded else {}))
    if explanation.get("capacity"):
        out.append({"kind": "capacity", "name": "capacity", "text": explanation["capacity"]}
                   | ({"codes": [explanation["capacity_reason"]]} if explanation.get("capacity_reason") else {}))
    return out

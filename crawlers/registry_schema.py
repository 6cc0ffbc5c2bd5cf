"""The JSON Schema of a registry file, generated from its pydantic models, for editors.

`crawlers/sources.schema.json` is this schema, committed and kept in step by
tests/test_registry.py; regenerate it with `python -m crawlers.registry_schema`. Editors that read
JSON Schema for TOML (Taplo, "Even Better TOML") pick it up from the `#:schema` line at the top of
`sources.toml`. The schema checks types, ranges and names; the registry's own loading checks the
rest (regular expressions, cron, durations, Apprise schemes, discovery) with the line of each problem.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from crawlers.alert_rules import AlertRule
from crawlers.registry import Source

SCHEMA_FILE = Path(str(resources.files("crawlers").joinpath("sources.schema.json")))


def _without_null(node: Any) -> Any:
    """TOML has no null: an optional key is one left out, so `anyOf [X, null]` becomes X."""
    if isinstance(node, dict):
        options = node.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            node = {k: v for k, v in node.items() if k not in ("anyOf", "default")} | (
                rest[0] if len(rest) == 1 else {"anyOf": rest}
            )
        return {k: _without_null(v) for k, v in node.items() if not (k == "default" and v is None)}
    if isinstance(node, list):
        return [_without_null(v) for v in node]
    return node


def registry_schema() -> dict:
    """The schema of a whole registry file: [defaults], [[sources]] and [[alerts]]."""
    source = _without_null(Source.model_json_schema())
    alert = _without_null(AlertRule.model_json_schema())
    defaults = {k: v for k, v in source.items() if k not in ("required", "title", "description")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "presswatch source registry (sources.toml)",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "defaults": {**defaults, "description": "values every [[sources]] entry takes unless it sets its own"},
            "sources": {"type": "array", "minItems": 1, "items": source},
            "alerts": {"type": "array", "items": alert},
        },
        "required": ["sources"],
    }


def schema_text() -> str:
    return json.dumps(registry_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")

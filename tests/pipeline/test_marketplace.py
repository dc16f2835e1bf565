"""The Claude Code marketplace and its kitsu plugin validate against the documented schema
(code.claude.com plugin marketplace and plugin manifest references), and the skill is well formed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
KEBAB = "^[a-z0-9]+(-[a-z0-9]+)*$"
SEMVER = r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$"
AUTHOR = {"oneOf": [{"type": "string"}, {
    "type": "object", "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1}, "email": {"type": "string"}, "url": {"type": "string"}}}]}
PATHS = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
PLUGIN_FIELDS = {
    "name": {"type": "string", "pattern": KEBAB},
    "version": {"type": "string", "pattern": SEMVER},
    "description": {"type": "string"},
    "author": AUTHOR,
    "homepage": {"type": "string"},
    "repository": {"type": "string"},
    "license": {"type": "string"},
    "keywords": {"type": "array", "items": {"type": "string"}},
    "commands": PATHS, "agents": PATHS, "skills": PATHS, "hooks": {"type": ["string", "object"]},
    "mcpServers": {"type": ["string", "object"]}, "lspServers": {"type": ["string", "object"]},
}
PLUGIN_SCHEMA = {"type": "object", "required": ["name"], "properties": PLUGIN_FIELDS, "additionalProperties": False}
RESERVED = {"claude-code-marketplace", "claude-code-plugins", "claude-plugins-official", "anthropic-marketplace",
            "anthropic-plugins", "agent-skills", "anthropic-agent-skills"}
MARKETPLACE_SCHEMA = {
    "type": "object",
    "required": ["name", "owner", "plugins"],
    "properties": {
        "name": {"type": "string", "pattern": KEBAB, "not": {"enum": sorted(RESERVED)}},
        "owner": {"type": "object", "required": ["name"],
                  "properties": {"name": {"type": "string", "minLength": 1}, "email": {"type": "string"}}},
        "metadata": {"type": "object", "properties": {
            "description": {"type": "string"}, "version": {"type": "string"}, "pluginRoot": {"type": "string"}}},
        "plugins": {"type": "array", "items": {
            "type": "object", "required": ["name", "source"],
            "properties": {**PLUGIN_FIELDS,
                           "source": {"oneOf": [{"type": "string", "pattern": r"^\./"},
                                                {"type": "object", "required": ["source"]}]},
                           "category": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
                           "strict": {"type": "boolean"}},
            "additionalProperties": False}},
    },
    "additionalProperties": False,
}


def load(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def test_marketplace_validates() -> None:
    jsonschema.validate(load(ROOT / ".claude-plugin" / "marketplace.json"), MARKETPLACE_SCHEMA)


@pytest.mark.parametrize("schema", [MARKETPLACE_SCHEMA, PLUGIN_SCHEMA], ids=["marketplace", "plugin"])
def test_schemas_reject_bad_manifests(schema: dict[str, object]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "Not Kebab", "plugins": ["kitsu"]}, schema)


def test_plugins_resolve_and_validate() -> None:
    marketplace = load(ROOT / ".claude-plugin" / "marketplace.json")
    entries = marketplace["plugins"]
    assert isinstance(entries, list) and [e["name"] for e in entries] == ["kitsu"]
    for entry in entries:
        plugin_dir = (ROOT / entry["source"]).resolve()
        manifest = load(plugin_dir / ".claude-plugin" / "plugin.json")
        jsonschema.validate(manifest, PLUGIN_SCHEMA)
        assert manifest["name"] == entry["name"]
        assert manifest.get("version") == entry.get("version")


def test_skill_front_matter_and_references() -> None:
    skill_dir = ROOT / "plugins" / "kitsu" / "skills" / "kitsu-api"
    text = (skill_dir / "SKILL.md").read_text()
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "SKILL.md must start with YAML front matter"
    front = match.group(1)
    assert re.search(r"^name: kitsu-api$", front, re.M)
    description = front.split("description:", 1)[1].strip()
    assert 50 < len(description) <= 1024
    mentioned = set(re.findall(r"references/([\w-]+\.md)", text))
    present = {p.name for p in (skill_dir / "references").glob("*.md")}
    assert mentioned <= present and {"connecting.md", "gazu.md", "raw-client.md", "events.md", "webhooks.md",
                                     "entity-api.md", "testing.md"} <= present

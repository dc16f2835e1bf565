"""Project file trees: JSON path templates turned into folder paths and file names.

A tree maps a mode (``working``, ``output``, ``preview``...) to ``mountpoint``, ``root``,
``folder_path`` and ``file_name``; the last two map an entity kind (``shot``, ``asset``,
``sequence``, ``scene``, ``instance``...) to a template made of ``<Token>`` parts, plus a ``style``.
Token values are slugified and styled; a file name is slugified as a whole. Pure functions: the
caller resolves the token values from the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from foxtrack.core.errors import ApiError

__all__ = ["BUILTIN_TREES", "TOKENS", "TreeError", "format_revision", "render", "slugify"]

# Every token a template may use. ``Version`` is an alias of ``Revision``.
TOKENS = frozenset({
    "Project", "Episode", "Sequence", "Scene", "Shot", "Asset", "AssetType", "TaskType", "Department",
    "Task", "Software", "OutputType", "Instance", "Representation", "Name", "Revision", "Version",
})
_TOKEN = re.compile(r"<([^<>]*)>")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class TreeError(ApiError):
    """Zou's answer for an unusable tree: ``{message, received_data}`` with a 400."""

    def __init__(self, message: str, received: Mapping[str, Any]):
        super().__init__(message, status=400, body={"message": message, "received_data": dict(received)})


def slugify(text: str) -> str:
    """ASCII, lowercase, runs of anything else become one ``_``, no ``_`` at either end."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("_", ascii_text.lower().replace("'", "")).strip("_")


def styled(text: str, style: str) -> str:
    return text.upper() if style == "uppercase" else text.lower()


def format_revision(revision: int) -> str:
    return str(revision).zfill(3)


def template_of(tree: Any, mode: str, received: Mapping[str, Any]) -> dict[str, Any]:
    if not tree:
        raise TreeError("No tree can be found for given project.", received)
    if not isinstance(tree, dict) or not isinstance(tree.get(mode), dict):
        raise TreeError(f"Mode {mode} cannot be found on given tree.", received)
    template: dict[str, Any] = tree[mode]
    if "mountpoint" not in template or "root" not in template:
        raise TreeError(f"Can't find given mode ({mode}) in given tree.", received)
    return template


def _pattern(template: dict[str, Any], part: str, kind: str, received: Mapping[str, Any]) -> tuple[str, str]:
    section = template.get(part)
    if not isinstance(section, dict) or not isinstance(section.get(kind), str):
        raise TreeError("", received)
    return section[kind], str(section.get("style") or "lowercase")


def _substitute(pattern: str, value_of: Callable[[str], str], style: str, received: Mapping[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        token = match.group(1)
        if token not in TOKENS:
            raise TreeError(f"Unknown data type: {token}.", received)
        return styled(slugify(value_of(token)), style)

    return _TOKEN.sub(one, pattern)


def render(tree: Any, mode: str, kind: str, value_of: Callable[[str], str],
           received: Mapping[str, Any]) -> tuple[str, str]:
    """``(folder_path, file_name)`` for an entity kind; ``value_of(token)`` gives raw token values."""
    template = template_of(tree, mode, received)
    folder_pattern, folder_style = _pattern(template, "folder_path", kind, received)
    name_pattern, name_style = _pattern(template, "file_name", kind, received)
    folder = _substitute(folder_pattern, value_of, folder_style, received)
    base = "/".join(str(part) for part in (template["mountpoint"], template["root"]) if part)
    file_name = styled(slugify(_substitute(name_pattern, value_of, name_style, received)), name_style)
    return f"{base}/{folder}", file_name


def _tree(mountpoint: str, folders: dict[str, str], names: dict[str, str]) -> dict[str, Any]:
    return {
        "mountpoint": mountpoint,
        "root": "productions",
        "folder_path": {**folders, "style": "lowercase"},
        "file_name": {**names, "style": "lowercase"},
    }


def _default_tree() -> dict[str, Any]:
    """Per-department folders, names prefixed by the project and the entity's place in it."""
    places = {
        "shot": "<Project>/shots/<Sequence>/<Shot>",
        "sequence": "<Project>/sequences/<Sequence>",
        "scene": "<Project>/scenes/<Sequence>/<Scene>",
        "asset": "<Project>/assets/<AssetType>/<Asset>",
        "style": "<Project>/assets/<AssetType>/<Asset>",
    }
    prefixes = {
        "shot": "<Project>_<Sequence>_<Shot>",
        "sequence": "<Project>_<Sequence>",
        "scene": "<Project>_<Sequence>_<Scene>",
        "asset": "<Project>_<AssetType>_<Asset>",
    }
    instance_place = "<Project>/shots/<Sequence>/<Shot>/assets/<AssetType>/<Asset>/<Instance>"
    instance_prefix = "<Project>_<Sequence>_<Shot>_<Asset>_<Instance>"

    def folders(leaf: str, with_instance: bool = False) -> dict[str, str]:
        out = {kind: f"{place}/{leaf}" for kind, place in places.items() if kind != "style"}
        if with_instance:
            out["instance"] = f"{instance_place}/{leaf}"
        return out

    def names(suffix: str, with_instance: bool = False) -> dict[str, str]:
        out = {kind: f"{prefix}_{suffix}" for kind, prefix in prefixes.items()}
        if with_instance:
            out["instance"] = f"{instance_prefix}_{suffix}"
        return out

    return {
        "working": _tree("/working_files", folders("<TaskType>/<Software>"), names("<TaskType>_<Name>_v<Revision>")),
        "output": _tree(
            "/output_files",
            folders("<OutputType>/<TaskType>/<Representation>", True),
            names("<OutputType>_<TaskType>_<Name>_v<Revision>", True),
        ),
        "preview": _tree("/preview_files", folders("<TaskType>"), names("<TaskType>_v<Revision>")),
    }


def _simple_tree() -> dict[str, Any]:
    """Everything of an entity in one folder; names carry the entity, department and revision."""
    folders = {"shot": "<Project>/<Sequence>/<Shot>", "sequence": "<Project>/<Sequence>",
               "scene": "<Project>/<Sequence>/<Scene>", "asset": "<Project>/<AssetType>/<Asset>",
               "instance": "<Project>/<Sequence>/<Shot>/<Asset>_<Instance>"}
    names = {"shot": "<Sequence>_<Shot>", "sequence": "<Sequence>", "scene": "<Sequence>_<Scene>",
             "asset": "<Asset>", "instance": "<Shot>_<Asset>_<Instance>"}
    return {
        "working": _tree("/simple/working", folders, {k: f"{v}_<TaskType>_v<Revision>" for k, v in names.items()}),
        "output": _tree("/simple/output", folders, {k: f"{v}_<OutputType>_v<Revision>" for k, v in names.items()}),
        "preview": _tree("/simple/preview", folders, {k: f"{v}_<TaskType>_v<Revision>" for k, v in names.items()}),
    }


BUILTIN_TREES: dict[str, Callable[[], dict[str, Any]]] = {"default": _default_tree, "simple": _simple_tree}

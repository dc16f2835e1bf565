"""The field renames the ADM pipeline applies to what Kitsu answers (see the kitsu-api skill).

- ``data`` -> ``custom_data`` (always a dict), on every record;
- tasks: ``retake_count`` -> ``nb_retakes``;
- task types: ``for_shots`` (``for_entity == "Shot"``) added beside ``for_entity``;
- comments: ``attachment_files`` -> ``attachments``; checklist items get their index as ``id``;
  previews get ``name`` from ``original_name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["normalise_comment", "normalise_record", "normalise_task", "normalise_task_type"]

Fields = dict[str, Any]


def normalise_record(raw: Mapping[str, Any]) -> Fields:
    """A copy of ``raw`` with ``data`` renamed ``custom_data`` (``{}`` when the server sent null)."""
    fields = dict(raw)
    data = fields.pop("data", None)
    fields["custom_data"] = dict(data) if isinstance(data, Mapping) else {}
    return fields


def normalise_task(raw: Mapping[str, Any]) -> Fields:
    """A task record: ``retake_count`` becomes ``nb_retakes``."""
    fields = normalise_record(raw)
    fields["nb_retakes"] = int(fields.pop("retake_count", 0) or 0)
    return fields


def normalise_task_type(raw: Mapping[str, Any]) -> Fields:
    """A task type record: ``for_shots`` tells whether it applies to shots."""
    fields = normalise_record(raw)
    fields["for_shots"] = fields.get("for_entity") == "Shot"
    return fields


def _preview(raw: Mapping[str, Any]) -> Fields:
    preview = dict(raw)
    if "original_name" in preview:
        preview["name"] = preview.pop("original_name")
    return preview


def normalise_comment(raw: Mapping[str, Any]) -> Fields:
    """A comment record: attachments, checklist ids and preview names, as the pipeline expects."""
    fields = normalise_record(raw)
    fields["attachments"] = [dict(a) for a in fields.pop("attachment_files", None) or []]
    fields["checklist"] = [{**dict(item), "id": index} for index, item in enumerate(fields.get("checklist") or [])]
    fields["previews"] = [_preview(p) if isinstance(p, Mapping) else p for p in fields.get("previews") or []]
    return fields

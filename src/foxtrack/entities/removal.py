"""Deleting entities and what hangs off them (tasks, comments, previews, links), in one transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core.context import Tx
from foxtrack.db import schema as s

Row = dict[str, Any]


Ids = list[str] | sa.Select[Any]


def delete_tasks(tx: Tx, task_ids: Ids) -> None:
    """Remove tasks with their assignments, time spents, comments, previews and notifications.
    ``task_ids`` is a list or a subquery (a whole project's tasks)."""
    if isinstance(task_ids, list) and not task_ids:
        return
    comments = sa.select(s.comment.c.id).where(s.comment.c.object_id.in_(task_ids))
    previews = sa.select(s.preview_file.c.id).where(s.preview_file.c.task_id.in_(task_ids))
    for link in (s.comment_preview_link, s.comment_mentions, s.comment_department_mentions,
                 s.comment_acknoledgments):
        tx.delete(link, link.c.comment_id.in_(comments))
    tx.delete(s.comment_preview_link, s.comment_preview_link.c.preview_file_id.in_(previews))
    tx.delete(s.attachment_file, s.attachment_file.c.comment_id.in_(comments))
    tx.delete(s.notification, s.notification.c.task_id.in_(task_ids))
    tx.delete(s.notification, s.notification.c.comment_id.in_(comments))
    tx.delete(s.news, s.news.c.task_id.in_(task_ids))
    tx.delete(s.subscription, s.subscription.c.task_id.in_(task_ids))
    tx.delete(s.time_spent, s.time_spent.c.task_id.in_(task_ids))
    tx.delete(s.working_file, s.working_file.c.task_id.in_(task_ids))
    tx.delete(s.task_person_link, s.task_person_link.c.task_id.in_(task_ids))
    tx.update(s.entity, {"preview_file_id": None}, s.entity.c.preview_file_id.in_(previews))
    tx.delete(s.comment, s.comment.c.object_id.in_(task_ids))
    tx.delete(s.preview_file, s.preview_file.c.task_id.in_(task_ids))
    tx.delete(s.task, s.task.c.id.in_(task_ids))


def task_ids_of(tx: Tx, entity_ids: list[str]) -> list[str]:
    if not entity_ids:
        return []
    return list(tx.execute(sa.select(s.task.c.id).where(s.task.c.entity_id.in_(entity_ids))).scalars())


def delete_entities(tx: Tx, entity_ids: Ids) -> list[str]:
    """Delete entities, their tasks and links; returns the ids of the entities whose casting changed
    (their ``nb_entities_out`` is recomputed). ``entity_ids`` is a list or a subquery."""
    if isinstance(entity_ids, list) and not entity_ids:
        return []
    link = s.entity_link
    casting_of = list(tx.execute(
        sa.select(link.c.entity_in_id).where(link.c.entity_out_id.in_(entity_ids), link.c.entity_in_id.not_in(entity_ids))
    ).scalars())
    delete_tasks(tx, sa.select(s.task.c.id).where(s.task.c.entity_id.in_(entity_ids)))
    tx.delete(link, sa.or_(link.c.entity_in_id.in_(entity_ids), link.c.entity_out_id.in_(entity_ids)))
    concept = s.entity_concept_link
    tx.delete(concept, sa.or_(concept.c.entity_in_id.in_(entity_ids),
                                             concept.c.entity_out_id.in_(entity_ids)))
    tx.delete(s.subscription, s.subscription.c.entity_id.in_(entity_ids))
    tx.delete(s.working_file, s.working_file.c.entity_id.in_(entity_ids))
    tx.delete(s.output_file, s.output_file.c.entity_id.in_(entity_ids))
    tx.delete(s.asset_instance, s.asset_instance.c.asset_id.in_(entity_ids))
    tx.update(s.entity, {"source_id": None}, s.entity.c.source_id.in_(entity_ids))
    delete_chats(tx, entity_ids)
    tx.delete(s.entity, s.entity.c.id.in_(entity_ids))
    changed = sorted(set(casting_of))
    recount_casting(tx, changed)
    return changed


def recount_casting(tx: Tx, entity_ids: list[str]) -> None:
    """Store ``nb_entities_out`` (the number of cast assets) of the entities."""
    if not entity_ids:
        return
    link = s.entity_link
    count = sa.select(sa.func.count()).select_from(link).where(link.c.entity_in_id == s.entity.c.id).scalar_subquery()
    for start in range(0, len(entity_ids), 500):  # one statement per 500 entities
        tx.update(s.entity, {"nb_entities_out": count}, s.entity.c.id.in_(entity_ids[start:start + 500]))


def delete_chats(tx: Tx, entity_ids: Ids) -> None:
    """Remove the chats of entities with their participants, messages and message attachments."""
    chats = sa.select(s.chat.c.id).where(s.chat.c.object_id.in_(entity_ids))
    messages = sa.select(s.chat_message.c.id).where(s.chat_message.c.chat_id.in_(chats))
    tx.delete(s.attachment_file, s.attachment_file.c.chat_message_id.in_(messages))
    tx.delete(s.chat_message, s.chat_message.c.chat_id.in_(chats))
    tx.delete(s.chat_participant, s.chat_participant.c.chat_id.in_(chats))
    tx.delete(s.chat, s.chat.c.object_id.in_(entity_ids))

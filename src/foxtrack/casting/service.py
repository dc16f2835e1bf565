"""Casting: which assets appear in a shot, an episode or another asset (``entity_link`` rows)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.casting import episodes
from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.jsonutil import is_uuid, new_id, now
from foxtrack.core.models import MODELS
from foxtrack.db import schema as s
from foxtrack.entities import removal, types
from foxtrack.entities import service as entities

Row = dict[str, Any]
E, L, T = s.entity, s.entity_link, s.entity_type
# entity aliases built once: an alias builds its column collection (every column) when first used
_EP_ALIAS = s.entity.alias("ep")
_SEQ_ALIAS = s.entity.alias("seq")
_SHOT_ALIAS = s.entity.alias("shot")
_SRC_ALIAS = s.entity.alias("src")


def _asset_rows(conn: Connection, clauses: list[Any], extra: tuple[Any, ...] = ()) -> list[Any]:
    """Links joined to their asset and its type, ordered by type then asset name; canceled assets are
    left out, as Zou does."""
    stmt = (
        sa.select(L.c.entity_in_id, L.c.entity_out_id, E.c.name, T.c.name, E.c.ready_for, E.c.source_id,
                  E.c.preview_file_id, L.c.nb_occurences, L.c.label, E.c.is_shared, E.c.project_id, *extra)
        .select_from(L.join(E, E.c.id == L.c.entity_out_id).join(T, T.c.id == E.c.entity_type_id))
        .where(E.c.canceled.is_not(True), *clauses)
        .order_by(T.c.name, E.c.name)
    )
    return list(conn.execute(stmt).all())


# one entity's casting (gazu's ``get_shot_casting``, the hot read): built once, the id bound at execution
_ONE_CASTING = (
    sa.select(L.c.entity_in_id, L.c.entity_out_id, E.c.name, T.c.name, E.c.ready_for, E.c.source_id,
              E.c.preview_file_id, L.c.nb_occurences, L.c.label, E.c.is_shared, E.c.project_id)
    .select_from(L.join(E, E.c.id == L.c.entity_out_id).join(T, T.c.id == E.c.entity_type_id))
    .where(E.c.canceled.is_not(True), L.c.entity_in_id == sa.bindparam("entity_id"))
    .order_by(T.c.name, E.c.name)
)


def _entry(row: Any) -> Row:
    return {"asset_id": row[1], "asset_name": row[2], "asset_type_name": row[3], "ready_for": row[4],
            "episode_id": row[5], "preview_file_id": row[6], "nb_occurences": row[7], "label": row[8] or "",
            "is_shared": bool(row[9]), "project_id": row[10]}


def _grouped_entry(row: Any, sequence_name: str | None = None, full: bool = True) -> Row:
    item: Row = {"asset_id": row[1], "name": row[2], "asset_name": row[2], "asset_type_name": row[3]}
    if sequence_name is not None:
        item["sequence_name"] = sequence_name
    item.update({"preview_file_id": row[6], "nb_occurences": row[7], "label": row[8] or ""})
    if full:
        item.update({"is_shared": bool(row[9]), "project_id": row[10]})
    return item


def _project_entity(ctx: RequestContext, conn: Connection, project_id: str, entity_id: str) -> Row:
    entity = entities.load(ctx, conn, entity_id)
    if entity["project_id"] != project_id:
        raise NotFound()
    return entity


# ----------------------------------------------------------------------------- one entity

def get_casting(ctx: RequestContext, project_id: str | None, entity_id: str) -> list[Row]:
    with ctx.read() as conn:
        if project_id is None:
            entities.load(ctx, conn, entity_id)
        else:
            _project_entity(ctx, conn, project_id, entity_id)
        return [_entry(r) for r in conn.execute(_ONE_CASTING, {"entity_id": entity_id})]


def update_casting(ctx: RequestContext, project_id: str | None, entity_id: str, body: Any) -> Any:
    """Replace the casting of an entity by the list sent; answers the list as sent (as Zou)."""
    if not isinstance(body, list):
        raise BadRequest("The casting must be a list of {asset_id, nb_occurences}.")
    wanted: dict[str, Row] = {}
    for item in body:
        if not isinstance(item, dict) or not is_uuid(item.get("asset_id")):
            raise BadRequest("Malformed ID.", data=None)
        nb = item.get("nb_occurences", 1)
        if isinstance(nb, bool) or not isinstance(nb, int):
            try:
                nb = int(nb)
            except (TypeError, ValueError) as exc:
                raise BadRequest("nb_occurences must be an integer.") from exc
        label = item.get("label") or ""
        wanted[item["asset_id"]] = {"nb_occurences": nb, "label": str(label)}
    with ctx.write() as tx:
        entity = entities.load(ctx, tx.conn, entity_id)
        if project_id is not None and entity["project_id"] != project_id:
            raise NotFound()
        perm.check_supervisor_project_access(ctx, tx.conn, entity["project_id"])
        if wanted:
            found = set(tx.execute(sa.select(E.c.id).where(E.c.id.in_(list(wanted)))).scalars())
            if len(found) != len(wanted):
                raise NotFound()
        current = {r[0]: r for r in tx.execute(
            sa.select(L.c.entity_out_id, L.c.id, L.c.nb_occurences, L.c.label).where(L.c.entity_in_id == entity_id))}
        removed = [a for a in current if a not in wanted]
        added = [a for a in wanted if a not in current]
        project = entity["project_id"]
        shot_type = types.type_id(ctx.state, types.SHOT)
        episode_id = episodes.shot_episode_id(tx, entity) if entity["type"] == types.SHOT else None
        if entity["type"] == types.EPISODE:
            episodes.drop_from_shots(tx, entity_id, removed, shot_type, project)
        if removed:
            tx.delete(L, L.c.entity_in_id == entity_id, L.c.entity_out_id.in_(removed))
        stamp = now()
        # Zou recreates every link of the list, so an episode missing one of its shots' assets
        # gains it on the next save of the shot.
        if episode_id is not None:
            episodes.cast_many_in_episode(tx, episode_id, {a: v["label"] for a, v in wanted.items()}, project)
        new_links = []
        for asset_id, values in wanted.items():
            if entity["type"] == types.EPISODE:
                tx.emit("asset:update", {"asset_id": asset_id}, project_id=project)
            link = current.get(asset_id)
            if link is None:
                link_id = new_id()
                new_links.append(dict(id=link_id, created_at=stamp, updated_at=stamp, entity_in_id=entity_id,
                                      entity_out_id=asset_id, **values))
                tx.emit("entity-link:new", {"entity_link_id": link_id, "entity_in_id": entity_id,
                                            "entity_out_id": asset_id, "nb_occurences": values["nb_occurences"]},
                        project_id=entity["project_id"])
            elif (link[2], link[3] or "") != (values["nb_occurences"], values["label"]):
                tx.update(L, {"updated_at": stamp, **values}, L.c.id == link[1])
                tx.emit("entity-link:update", {"entity_link_id": link[1], "entity_in_id": entity_id,
                                               "entity_out_id": asset_id, "nb_occurences": values["nb_occurences"]},
                        project_id=entity["project_id"])
        tx.insert(L, new_links)
        removal.recount_casting(tx, [entity_id])
        prefix = entities.kind_event(entity["type"])
        tx.emit(f"{prefix}:casting-update", {f"{prefix}_id": entity_id, "added_asset_ids": added,
                                             "removed_asset_ids": removed, "nb_entities_out": len(wanted)},
                project_id=entity["project_id"])
        if episode_id is not None and removed:
            episodes.detach_unused(tx, episode_id, removed, shot_type, project)
    return body


# ----------------------------------------------------------------------------- reverse casting

def cast_in(ctx: RequestContext, asset_id: str) -> list[Row]:
    """Shots (then assets) the asset is cast in."""
    seq, ep = _SEQ_ALIAS, _EP_ALIAS
    with ctx.read() as conn:
        entities.load(ctx, conn, asset_id, types.ASSET)
        shot_type = types.type_id(ctx.state, types.SHOT)
        shots = conn.execute(
            sa.select(E.c.id, E.c.name, seq.c.name, ep.c.id, ep.c.name, E.c.preview_file_id, L.c.nb_occurences)
            .select_from(L.join(E, E.c.id == L.c.entity_in_id).outerjoin(seq, seq.c.id == E.c.parent_id)
                         .outerjoin(ep, ep.c.id == seq.c.parent_id))
            .where(L.c.entity_out_id == asset_id, E.c.entity_type_id == shot_type)
            .order_by(ep.c.name, seq.c.name, E.c.name)
        ).all()
        out: list[Row] = [
            {"shot_id": r[0], "shot_name": r[1], "sequence_name": r[2], "episode_id": r[3], "episode_name": r[4],
             "preview_file_id": r[5], "nb_occurences": r[6]}
            for r in shots
        ]
        assets = conn.execute(
            sa.select(E.c.id, E.c.name, T.c.name, E.c.preview_file_id, L.c.nb_occurences)
            .select_from(L.join(E, E.c.id == L.c.entity_in_id).join(T, T.c.id == E.c.entity_type_id))
            .where(L.c.entity_out_id == asset_id, types.asset_clause(ctx.state, E.c.entity_type_id))
            .order_by(T.c.name, E.c.name)
        ).all()
        out.extend({"asset_id": r[0], "asset_name": r[1], "asset_type_name": r[2], "preview_file_id": r[3],
                    "nb_occurences": r[4]} for r in assets)
        return out


# ----------------------------------------------------------------------------- grouped castings

def _check_project(ctx: RequestContext, conn: Connection, project_id: str) -> None:
    entities.load_project(conn, project_id)
    perm.check_project_access(ctx, conn, project_id)


def shots_casting(ctx: RequestContext, project_id: str, sequence_id: str | None = None,
                  episode_id: str | None = None) -> dict[str, list[Row]]:
    """{shot_id: casting} for the shots of a sequence, of an episode, or of the whole project."""
    shot, seq = _SHOT_ALIAS, _SEQ_ALIAS
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        for parent in (sequence_id, episode_id):
            if parent is not None and not is_uuid(parent):
                raise NotFound()
        shots = sa.select(shot.c.id).where(shot.c.project_id == project_id,
                                           shot.c.entity_type_id == types.type_id(ctx.state, types.SHOT))
        if sequence_id is not None:
            shots = shots.where(shot.c.parent_id == sequence_id)
        if episode_id is not None:
            shots = shots.where(shot.c.parent_id.in_(sa.select(seq.c.id).where(seq.c.parent_id == episode_id)))
        names = {i: n for i, n in conn.execute(
            sa.select(shot.c.id, seq.c.name).join(seq, seq.c.id == shot.c.parent_id)
            .where(shot.c.id.in_(shots)))}
        out: dict[str, list[Row]] = {}
        for row in _asset_rows(conn, [L.c.entity_in_id.in_(shots)]):
            out.setdefault(row[0], []).append(_grouped_entry(row, names.get(row[0], "")))
        return out


def episodes_casting(ctx: RequestContext, project_id: str) -> dict[str, list[Row]]:
    """{entity_in_id: casting} for the casting links of the project (Zou lists them all here)."""
    src = _SRC_ALIAS
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        ins = sa.select(src.c.id).where(src.c.project_id == project_id)
        out: dict[str, list[Row]] = {}
        for row in _asset_rows(conn, [L.c.entity_in_id.in_(ins)]):
            out.setdefault(row[0], []).append(_grouped_entry(row))
        return out


def asset_type_casting(ctx: RequestContext, project_id: str, asset_type_id: str) -> dict[str, list[Row]]:
    """{asset_id: casting} for the assets of a type in a project."""
    src = _SRC_ALIAS
    if not is_uuid(asset_type_id):
        raise NotFound()
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        ins = sa.select(src.c.id).where(src.c.project_id == project_id, src.c.entity_type_id == asset_type_id)
        out: dict[str, list[Row]] = {}
        for row in _asset_rows(conn, [L.c.entity_in_id.in_(ins)]):
            out.setdefault(row[0], []).append(_grouped_entry(row, full=False))
        return out


# ----------------------------------------------------------------------------- entity links

def entity_links(ctx: RequestContext, project_id: str, page: int | None, limit: int) -> Any:
    model = MODELS["entity-links"]
    src = _SRC_ALIAS
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        clause = L.c.entity_in_id.in_(sa.select(src.c.id).where(src.c.project_id == project_id))
        stmt = model.select().where(clause).order_by(L.c.created_at, L.c.id)
        if page is None:
            return model.to_dicts(conn.execute(stmt))
        total = conn.execute(sa.select(sa.func.count()).select_from(L).where(clause)).scalar() or 0
        page = max(page, 1)
        rows = model.to_dicts(conn.execute(stmt.limit(limit).offset((page - 1) * limit)))
        return {"data": rows, "total": total, "nb_pages": -(-total // limit), "limit": limit,
                "offset": (page - 1) * limit, "page": page}


def delete_entity_link(ctx: RequestContext, project_id: str | None, link_id: str) -> None:
    if not is_uuid(link_id):
        raise NotFound()
    with ctx.write() as tx:
        row = tx.execute(sa.select(L.c.entity_in_id, L.c.entity_out_id).where(L.c.id == link_id)).first()
        if row is None:
            raise NotFound()
        entity = entities.load(ctx, tx.conn, row[0])
        if project_id is not None and entity["project_id"] != project_id:
            raise NotFound()
        perm.check_supervisor_project_access(ctx, tx.conn, entity["project_id"])
        tx.delete(L, L.c.id == link_id)
        removal.recount_casting(tx, [row[0]])
        tx.emit("entity-link:delete", {"entity_link_id": link_id, "entity_in_id": row[0], "entity_out_id": row[1]},
                project_id=entity["project_id"])


def cast_asset(ctx: RequestContext, project_id: str, asset_id: str, body: Any) -> dict[str, list[Row]]:
    """Cast one asset in several entities (``nb_occurences`` 0 removes it); answers their castings."""
    if not isinstance(body, dict):
        raise BadRequest("Invalid data.")
    entity_ids = body.get("entity_ids") or []
    if not isinstance(entity_ids, list) or not all(is_uuid(i) for i in entity_ids) or not is_uuid(asset_id):
        raise BadRequest("Malformed ID.", data=None)
    nb: int | None = None
    if body.get("nb_occurences") is not None:
        try:
            nb = int(body["nb_occurences"])
        except (TypeError, ValueError) as exc:
            raise BadRequest("nb_occurences must be an integer.") from exc
    label = None if body.get("label") is None else str(body["label"])
    with ctx.write() as tx:
        entities.load_project(tx.conn, project_id)
        perm.check_supervisor_project_access(ctx, tx.conn, project_id)
        asset = entities.load(ctx, tx.conn, asset_id, types.ASSET)
        if asset["project_id"] != project_id and not asset.get("is_shared"):
            raise NotFound()
        stamp = now()
        shot_type = types.type_id(ctx.state, types.SHOT)
        for entity_id in dict.fromkeys(entity_ids):
            entity = entities.load(ctx, tx.conn, entity_id)
            if entity["project_id"] != project_id:
                raise NotFound()
            episode_id = episodes.shot_episode_id(tx, entity) if entity["type"] == types.SHOT else None
            link_id = tx.execute(sa.select(L.c.id).where(L.c.entity_in_id == entity_id,
                                                          L.c.entity_out_id == asset_id)).scalar()
            added, removed = [], []
            if nb is not None and nb <= 0:
                if link_id is not None:
                    if entity["type"] == types.EPISODE:
                        episodes.drop_from_shots(tx, entity_id, [asset_id], shot_type, project_id)
                    tx.delete(L, L.c.id == link_id)
                    removed.append(asset_id)
            elif link_id is None:
                if episode_id is not None:
                    episodes.cast_in_episode(tx, episode_id, asset_id, label or "", project_id)
                link_id = new_id()
                tx.insert(L, {"id": link_id, "created_at": stamp, "updated_at": stamp, "entity_in_id": entity_id,
                                             "entity_out_id": asset_id, "nb_occurences": nb or 1, "label": label or ""})
                tx.emit("entity-link:new", {"entity_link_id": link_id, "entity_in_id": entity_id,
                                            "entity_out_id": asset_id, "nb_occurences": nb or 1},
                        project_id=project_id)
                added.append(asset_id)
            else:
                changes: Row = {"updated_at": stamp}
                if nb is not None:
                    changes["nb_occurences"] = nb
                if label is not None:
                    changes["label"] = label
                tx.update(L, changes, L.c.id == link_id)
            removal.recount_casting(tx, [entity_id])
            count = tx.execute(sa.select(E.c.nb_entities_out).where(E.c.id == entity_id)).scalar()
            prefix = entities.kind_event(entity["type"])
            tx.emit(f"{prefix}:casting-update", {f"{prefix}_id": entity_id, "added_asset_ids": added,
                                                 "removed_asset_ids": removed, "nb_entities_out": count or 0},
                    project_id=project_id)
            if episode_id is not None and removed:
                episodes.detach_unused(tx, episode_id, removed, shot_type, project_id)
        return {entity_id: [_entry(r) for r in _asset_rows(tx.conn, [L.c.entity_in_id == entity_id])]
                for entity_id in dict.fromkeys(entity_ids)}

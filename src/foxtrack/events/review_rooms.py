"""Playlist review rooms (``preview-room:*``), as Kitsu's review screen uses them.

A client that opens a playlist enters its socket room and sees who is reviewing; joining makes it
a participant whose playback, frame, comparison and annotation changes are relayed to the others.
Room state (people and playing status) lives in this process; access to a room requires access to
the playlist's project.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
import sqlalchemy as sa

from foxtrack.core.context import AppState
from foxtrack.db import schema as s

NAMESPACE = "/events"
RELAYED = (
    "preview-room:add-annotation",
    "preview-room:remove-annotation",
    "preview-room:update-annotation",
    "preview-room:panzoom-changed",
    "preview-room:comparison-panzoom-changed",
    "preview-update-annotation",
)
STATE_KEYS = (
    "user_id", "local_id", "is_playing", "is_repeating", "is_laser_mode", "is_annotations_displayed",
    "is_zoom_enabled", "is_waveform_displayed", "current_entity_index", "current_preview_file_id",
    "current_frame", "current_frame_number", "handle_in", "handle_out", "comparing", "speed",
)


def room_name(playlist_id: str) -> str:
    return f"playlist:{playlist_id}"


class ReviewRooms:
    def __init__(self, sio: socketio.AsyncServer, state: AppState):
        self.sio = sio
        self.state = state
        self.rooms: dict[str, dict[str, Any]] = {}
        on = sio.on
        on("preview-room:open-playlist", self.open_playlist, namespace=NAMESPACE)
        on("preview-room:close-playlist", self.close_playlist, namespace=NAMESPACE)
        on("preview-room:join", self.join, namespace=NAMESPACE)
        on("preview-room:leave", self.leave, namespace=NAMESPACE)
        on("preview-room:room-updated", self.room_updated, namespace=NAMESPACE)
        for name in RELAYED:
            on(name, self._relay(name), namespace=NAMESPACE)

    # ------------------------------------------------------------------ helpers

    def _room(self, playlist_id: str) -> dict[str, Any]:
        return self.rooms.setdefault(playlist_id, {"people": [], "playlist_id": playlist_id, "id": playlist_id,
                                                   "is_playing": False, "current_entity_index": None,
                                                   "current_frame_number": 0})

    async def _allowed(self, sid: str, data: Any) -> str | None:
        """The playlist id of the message when the sender may see that playlist's project."""
        if not isinstance(data, dict) or not isinstance(data.get("playlist_id"), str):
            return None
        playlist_id = str(data["playlist_id"])
        session = await self.sio.get_session(sid, namespace=NAMESPACE)
        return await asyncio.to_thread(self._may_see, playlist_id, session.get("role"), session.get("person_id"))

    def _may_see(self, playlist_id: str, role: Any, person_id: Any) -> str | None:
        """``playlist_id`` when the playlist exists and this person may see its project (on a worker
        thread)."""
        with self.state.read() as conn:
            project_id = conn.execute(
                sa.select(s.playlist.c.project_id).where(s.playlist.c.id == playlist_id)).scalar()
            if project_id is None:
                return None
            if role == "admin":
                return playlist_id
            link = s.project_person_link
            member = conn.execute(sa.select(link.c.person_id).where(
                link.c.project_id == project_id, link.c.person_id == person_id)).first()
        return playlist_id if member is not None else None

    async def _people_updated(self, playlist_id: str) -> None:
        room = self._room(playlist_id)
        await self.sio.emit("preview-room:room-people-updated",
                            {"people": list(room["people"]), "playlist_id": playlist_id, "id": playlist_id},
                            room=room_name(playlist_id), namespace=NAMESPACE)

    # ------------------------------------------------------------------ handlers

    async def open_playlist(self, sid: str, data: Any) -> None:
        playlist_id = await self._allowed(sid, data)
        if playlist_id is None:
            return
        await self.sio.enter_room(sid, room_name(playlist_id), namespace=NAMESPACE)
        await self._people_updated(playlist_id)

    async def close_playlist(self, sid: str, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("playlist_id"), str):
            await self.sio.leave_room(sid, room_name(str(data["playlist_id"])), namespace=NAMESPACE)

    async def join(self, sid: str, data: Any) -> None:
        playlist_id = await self._allowed(sid, data)
        if playlist_id is None:
            return
        session = await self.sio.get_session(sid, namespace=NAMESPACE)
        person_id = session.get("person_id")
        room = self._room(playlist_id)
        if person_id not in room["people"]:
            room["people"].append(person_id)
        session.setdefault("review_rooms", set()).add(playlist_id)
        await self.sio.save_session(sid, session, namespace=NAMESPACE)
        await self.sio.enter_room(sid, room_name(playlist_id), namespace=NAMESPACE)
        await self._people_updated(playlist_id)

    async def leave(self, sid: str, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("playlist_id"), str):
            return
        session = await self.sio.get_session(sid, namespace=NAMESPACE)
        await self._remove(str(data["playlist_id"]), session.get("person_id"))

    async def _remove(self, playlist_id: str, person_id: Any) -> None:
        room = self.rooms.get(playlist_id)
        if room is None:
            return
        room["people"] = [p for p in room["people"] if p != person_id]
        await self._people_updated(playlist_id)
        if not room["people"]:
            self.rooms.pop(playlist_id, None)

    async def room_updated(self, sid: str, data: Any) -> None:
        playlist_id = await self._allowed(sid, data)
        if playlist_id is None:
            return
        room = self._room(playlist_id)
        room.update({k: data[k] for k in STATE_KEYS if k in data})
        payload = {**room, "only_newcomer": bool(data.get("only_newcomer", False))}
        await self.sio.emit("preview-room:room-updated", payload, room=room_name(playlist_id),
                            skip_sid=sid, namespace=NAMESPACE)

    def _relay(self, name: str) -> Any:
        async def relay(sid: str, data: Any) -> None:
            playlist_id = await self._allowed(sid, data)
            if playlist_id is not None:
                await self.sio.emit(name, data, room=room_name(playlist_id), skip_sid=sid, namespace=NAMESPACE)

        return relay

    async def disconnected(self, sid: str) -> None:
        try:
            session = await self.sio.get_session(sid, namespace=NAMESPACE)
        except KeyError:
            return
        for playlist_id in list(session.get("review_rooms", ())):
            await self._remove(playlist_id, session.get("person_id"))

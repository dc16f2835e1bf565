"""Zou's six roles on every route: the measured permission matrix replayed against a live foxtrack.

``../shared/reference/zou-permissions.tsv`` holds Zou 1.0.97's decision for every (method, route)
gazu uses, sent by nine accounts against one fixture production. This test builds that production
on a fresh foxtrack (real server, real HTTP), creates the nine accounts, replays every row for every
account in Zou's phase order (reads, writes, destroys, late), and compares foxtrack's allow/deny
with Zou's. Where Zou is too permissive (``zou-permission-holes.json``) foxtrack must refuse.

Cells compare as decisions, not status codes: a 2xx is an allow (a ``~`` cell, a 2xx whose change
did not happen, is a refusal: those rows are checked by looking at the data afterwards), 401/403
are refusals, a 404 is a refusal when another account got a 2xx on the row ("hidden from this
account"), anything else is an error. Reads also compare whether the answer shows the fixture
production's objects (``+``). Any difference fails the test, naming the route, the account, Zou's
answer and foxtrack's.

The fixture follows what Zou's measurement shows of its own (where foxtrack answered differently
only because the data differed, the fixture changed, not the server):

- a movie preview (the movie routes, scrubbing tiles and the playlist's build job use it), avatars
  and project and organisation thumbnails, a working file with its content, and a file tree with
  an asset-instance template: Zou answered 200 on their files;
- the supervisor is assigned no task and books no time (Zou showed it none of its own), the
  playlist belongs to no episode (Zou's episode playlists listed none), no one follows a task
  (foxtrack subscribes assignees; Zou's production listed no subscription);
- another open production sorts first with more than a page (100) of open tasks: Zou's admin,
  who sees every open production, got a first page of open tasks without the fixture's;
- rows are sent as gazu sends them: ``data/assets`` with ``source_id`` (``all_assets_for_episode``),
  ``auth/email-otp`` with the account's ``email``, ``data/entities/{id}/tasks`` with ``task_type_ids``.

Reads run by account in parallel, writes and destroys by row in parallel (each row's objects are
its own), on one server.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from foxtrack.media.ffmpeg import ffmpeg_exe
from foxtrack.testing import RunningServer, drop_postgres, postgres_url, start_server

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
ROLES = ("anonymous", "admin", "manager", "supervisor", "user", "vendor", "client", "user_noteam", "manager_noteam")
PASSWORD = "matrix-pass-1"
DATE = "2025-01-15"
Json = Any
Ids = dict[str, str]


# ----------------------------------------------------------------------------- the reference

@dataclass
class Row:
    method: str
    routes: list[str]
    variant: str
    phase: str
    zou: dict[str, str]

    @property
    def key(self) -> tuple[str, str, str]:
        return self.method, self.routes[0], self.variant


def load_rows() -> list[Row]:
    rows = []
    with open(REFERENCE / "zou-permissions.tsv", newline="") as handle:
        for rec in csv.DictReader(handle, delimiter="\t"):
            rows.append(Row(rec["method"], [r.strip() for r in rec["route"].split(" | ")], rec["variant"],
                            rec["phase"], {role: rec[role] for role in ROLES}))
    return rows


def load_holes() -> set[tuple[str, str, str, str]]:
    holes = json.loads((REFERENCE / "zou-permission-holes.json").read_text())
    return {(h["method"], h["route"].split(" | ")[0].strip(), h["variant"], role) for h in holes for role in h["roles"]}


def png(size: tuple[int, int] = (64, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


PNG = png()


def movie() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.mp4"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-t", "0.4",
                        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True, timeout=60)
        return path.read_bytes()


MOVIE = movie()
OTIO = json.dumps({"OTIO_SCHEMA": "Timeline.1", "name": "cut", "tracks": {
    "OTIO_SCHEMA": "Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": []}]}})


# ----------------------------------------------------------------------------- the fixture production

class World:
    """The fixture production, the nine accounts' sessions, and the admin that prepares victims."""

    def __init__(self, server: RunningServer):
        self.api = server.api
        self.n = 0
        self.sessions: dict[str, requests.Session] = {}
        self.person: Ids = {}
        self._ids: Ids = {}
        self._local = threading.local()  # per thread: the admin's session, the row's victim ids
        self.own: dict[str, Ids] = {role: {} for role in ROLES}
        self.shown: set[str] = set()
        admin = requests.Session()
        token = admin.post(f"{self.api}/auth/login", json={"email": server.email, "password": server.password})
        admin.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        self.refresh = {"admin": token.json()["refresh_token"]}
        self._admin = admin
        self.email = {"admin": server.email}
        self.password = {"admin": server.password}
        self.sessions["admin"] = admin
        self.sessions["anonymous"] = requests.Session()

    @property
    def ids(self) -> Ids:
        """The fixture's ids, with the victims of the row this thread is sending."""
        overlay = getattr(self._local, "overlay", None)
        return self._ids if overlay is None else self._ids | overlay

    @contextmanager
    def victims(self, values: Ids) -> Iterator[None]:
        self._local.overlay = {k: v for k, v in values.items() if k in ("victim", "victim_task", "target", "before")}
        try:
            yield
        finally:
            self._local.overlay = None

    @property
    def admin(self) -> requests.Session:
        """The admin's session of this thread (a ``requests.Session`` is not shared across threads)."""
        if threading.current_thread() is threading.main_thread():
            return self._admin
        found: requests.Session | None = getattr(self._local, "admin", None)
        if found is None:
            found = self._local.admin = requests.Session()
        found.headers["Authorization"] = self._admin.headers["Authorization"]
        return found

    def session(self, role: str) -> requests.Session:
        """``role``'s session for this thread, with its current token."""
        if role == "admin":
            return self.admin
        mine: dict[str, requests.Session] | None = getattr(self._local, "sessions", None)
        if mine is None:
            mine = self._local.sessions = {}
        found = mine.setdefault(role, requests.Session())
        found.headers.clear()
        found.headers.update(self.sessions[role].headers)
        return found

    def tag(self) -> str:
        self.n += 1
        return f"{self.n:04d}{uuid.uuid4().hex[:4]}"

    def call(self, method: str, path: str, expect: int | None = None, **kw: Any) -> Json:
        answer = self.admin.request(method, f"{self.api}/{path}", timeout=60, **kw)
        if answer.status_code == 401:  # a row ended the admin's sessions (its own password change...)
            self.relogin("admin")
            answer = self.admin.request(method, f"{self.api}/{path}", timeout=60, **kw)
        assert answer.status_code < 300, f"setup {method} {path}: {answer.status_code} {answer.text[:300]}"
        return answer.json() if answer.content and "json" in answer.headers.get("content-type", "") else None

    def post(self, path: str, body: Json = None, **kw: Any) -> Json:
        return self.call("POST", path, json=body if body is not None else {}, **kw)

    def put(self, path: str, body: Json) -> Json:
        return self.call("PUT", path, json=body)

    def get(self, path: str) -> Json:
        return self.call("GET", path)

    def wait(self, path: str, done: Callable[[Json], bool], seconds: float = 60) -> Json:
        """Poll ``path`` until ``done`` holds for its answer (a background job)."""
        deadline = time.monotonic() + seconds
        found = self.get(path)
        while not done(found) and time.monotonic() < deadline:
            time.sleep(0.1)
            found = self.get(path)
        assert done(found), f"{path} still {found}"
        return found

    def show(self, *objects: Json) -> None:
        for obj in objects:
            self.shown.add(obj["id"] if isinstance(obj, dict) else obj)

    # -- accounts
    def new_person(self, role: str, name: str) -> Json:
        return self.post("data/persons", {"first_name": name, "last_name": self.tag(), "role": role,
                                          "email": f"{name}-{self.tag()}@matrix.test", "password": PASSWORD})

    def login(self, role: str, person: Json) -> None:
        session = requests.Session()
        answer = session.post(f"{self.api}/auth/login", json={"email": person["email"], "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        self.refresh[role] = answer.json()["refresh_token"]
        self.sessions[role] = session
        self.person[role] = person["id"]
        self.email[role], self.password[role] = person["email"], PASSWORD

    def relogin(self, role: str) -> None:
        """A new token for ``role`` in its shared session, after a row of its own ended its sessions."""
        for password in dict.fromkeys([self.password[role], PASSWORD]):  # a row may have changed it to PASSWORD
            answer = requests.post(f"{self.api}/auth/login", json={"email": self.email[role], "password": password},
                                   timeout=60)
            if answer.status_code == 200:
                self.password[role] = password
                break
        assert answer.status_code == 200, answer.text
        (self._admin if role == "admin" else self.sessions[role]).headers["Authorization"] = (
            f"Bearer {answer.json()['access_token']}")
        self.refresh[role] = answer.json()["refresh_token"]

    def fresh(self, role: str) -> requests.Session:
        """A session of its own for ``role`` (logging out must not end the shared one)."""
        if role == "anonymous":
            return requests.Session()
        session = requests.Session()
        answer = session.post(f"{self.api}/auth/login", json={"email": self.email[role], "password": self.password[role]})
        session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return session

    # -- victims
    def shot(self) -> Json:
        return self.post(f"data/projects/{self.ids['project_id']}/shots",
                         {"name": f"SV{self.tag()}", "sequence_id": self.ids["sequence_id"]})

    def task(self, entity_id: str | None = None, task_type_id: str | None = None) -> Json:
        return self.post("data/tasks", {"project_id": self.ids["project_id"], "entity_id": entity_id or self.shot()["id"],
                                        "task_type_id": task_type_id or self.ids["task_type_id"],
                                        "task_status_id": self.ids["task_status_id"]})

    def comment(self, task_id: str | None = None) -> Json:
        task_id = task_id or self.ids["task_id"]
        return self.post(f"actions/tasks/{task_id}/comment",
                         {"task_status_id": self.ids["task_status_id"], "comment": f"victim {self.tag()}"})

    def preview(self, comment: Json | None = None, upload: bool = True) -> Json:
        comment = comment or self.comment()
        preview = self.post(f"actions/tasks/{comment['object_id']}/comments/{comment['id']}/add-preview", {})
        if upload:
            self.call("POST", f"pictures/preview-files/{preview['id']}", files={"file": ("p.png", PNG, "image/png")})
        return preview


def build(w: World) -> None:
    """The production of permissions.md: a team of seven, an episode, sequence, shot cast with an
    asset, a second asset, a scene with an asset instance, shot/asset/done tasks, a comment with an
    attachment and a reply, previews, a playlist with a build job and a share link, time spents, a
    day off, a descriptor, an edit, a concept, working and output files, a budget, a template and
    notifications."""
    ids = w.ids
    statuses = {s["short_name"]: s for s in w.get("data/task-status")}
    ids["task_status_id"] = statuses["wip"]["id"]
    ids["done_status_id"] = statuses["done"]["id"]
    dept_shot = w.post("data/departments", {"name": f"Animation {w.tag()}", "color": "#112233"})
    dept_asset = w.post("data/departments", {"name": f"Modeling {w.tag()}", "color": "#332211"})
    anim = w.post("data/task-types", {"name": f"Anim {w.tag()}", "for_entity": "Shot", "department_id": dept_shot["id"]})
    layout = w.post("data/task-types", {"name": f"Layout {w.tag()}", "for_entity": "Shot",
                                        "department_id": dept_shot["id"]})
    model = w.post("data/task-types", {"name": f"Model {w.tag()}", "for_entity": "Asset",
                                       "department_id": dept_asset["id"]})
    ids.update(department_id=dept_shot["id"], task_type_id=anim["id"], asset_task_type_id=model["id"])
    for role in ROLES[2:]:
        zou_role = {"user_noteam": "user", "manager_noteam": "manager"}.get(role, role)
        person = w.new_person(zou_role, role)
        w.login(role, person)
    w.person["admin"] = w.admin.get(f"{w.api}/auth/authenticated").json()["user"]["id"]
    w.post(f"actions/persons/{w.person['supervisor']}/departments/add", {"department_id": dept_shot["id"]})
    artist3 = w.new_person("user", "artist3")
    ids["person_id"] = ids["id"] = artist3["id"]
    ids["bot_id"] = artist3["id"]

    project = w.post("data/projects", {"name": f"Matrix {w.tag()}", "production_type": "tvshow"})
    p = ids["project_id"] = ids["project_source_id"] = ids["name_or_id"] = project["id"]
    w.show(project)
    tree = {"mountpoint": "/prod", "root": "p", "folder_path": {"shot": "<Project>/<Shot>/<TaskType>",
            "asset": "<Project>/<Asset>/<TaskType>", "instance": "<Project>/<Asset>/<Instance>/<TaskType>",
            "style": "lowercase"},
            "file_name": {"shot": "<Shot>_<TaskType>_v<Revision>", "asset": "<Asset>_<TaskType>_v<Revision>",
                          "instance": "<Asset>_<Instance>_<TaskType>_v<Revision>", "style": "lowercase"}}
    w.put(f"data/projects/{p}", {"file_tree": {"working": tree, "output": tree}})
    for role in ("admin", "manager", "supervisor", "user", "vendor", "client"):
        w.post(f"data/projects/{p}/team", {"person_id": w.person[role]})
    w.post(f"data/projects/{p}/team", {"person_id": artist3["id"]})
    for tt in (anim, layout, model):
        w.post(f"data/projects/{p}/settings/task-types", {"task_type_id": tt["id"]})
    for status in (statuses["wip"], statuses["done"]):
        w.post(f"data/projects/{p}/settings/task-status", {"task_status_id": status["id"]})
    asset_type = w.post("data/entity-types", {"name": f"Character {w.tag()}"})
    ids["asset_type_id"] = ids["entity_type_id"] = asset_type["id"]
    ids["asset_type.name"] = asset_type["name"]
    episode = w.post(f"data/projects/{p}/episodes", {"name": "E01"})
    sequence = w.post(f"data/projects/{p}/sequences", {"name": "SQ01", "episode_id": episode["id"]})
    ids.update(episode_id=episode["id"], sequence_id=sequence["id"])
    shot = w.post(f"data/projects/{p}/shots", {"name": "SH010", "sequence_id": sequence["id"]})
    ids["shot_id"] = ids["entity_id"] = ids["temporal_entity_id"] = ids["chat_id"] = shot["id"]
    asset = w.post(f"data/projects/{p}/asset-types/{asset_type['id']}/assets/new", {"name": "Hero"})
    asset2 = w.post(f"data/projects/{p}/asset-types/{asset_type['id']}/assets/new", {"name": "Prop"})
    ids["asset_id"] = asset["id"]
    w.put(f"data/projects/{p}/entities/{shot['id']}/casting", [{"asset_id": asset["id"], "nb_occurences": 1}])
    scene = w.post(f"data/projects/{p}/scenes", {"name": "SC01", "sequence_id": sequence["id"]})
    ids["scene_id"] = scene["id"]
    instance = w.post(f"data/scenes/{scene['id']}/asset-instances", {"asset_id": asset["id"]})
    ids["asset_instance_id"] = instance["id"]
    w.show(episode, sequence, shot, asset, asset2, scene, instance)

    task = w.task(shot["id"], anim["id"])
    asset_task = w.task(asset["id"], model["id"])
    done = w.task(shot["id"], layout["id"])
    ids["task_id"] = task["id"]
    for role in ("user", "vendor"):
        w.put(f"actions/persons/{w.person[role]}/assign", {"task_ids": [task["id"]]})
    w.put(f"actions/persons/{artist3['id']}/assign", {"task_ids": [task["id"], done["id"]]})
    w.put(f"data/tasks/{done['id']}", {"task_status_id": ids["done_status_id"]})
    w.show(task, asset_task, done)
    for subscription in w.get(f"data/projects/{p}/subscriptions"):
        w.call("DELETE", f"data/subscriptions/{subscription['id']}")

    comment = w.comment(task["id"])
    ids["comment_id"] = comment["id"]
    attachment = w.call("POST", f"actions/tasks/{task['id']}/comments/{comment['id']}/add-attachment",
                        files={"files": ("ref.png", PNG, "image/png")})
    attachment = attachment[0] if isinstance(attachment, list) else attachment
    attachment = attachment.get("attachment_files", [attachment])[0] if "attachment_files" in attachment else attachment
    ids["attachment_file_id"] = attachment["id"]
    ids["attachment_file.name"] = attachment["name"]
    reply = w.post(f"data/tasks/{task['id']}/comments/{comment['id']}/reply", {"text": "a reply"})
    ids["reply_id"] = reply["id"]
    preview = w.preview(comment)
    ids["preview_file_id"] = ids["new_preview_file_id"] = preview["id"]
    ids["preview_file.extension"] = "png"
    w.show(comment, attachment, preview)

    movie = w.preview(w.comment(task["id"]), upload=False)
    w.call("POST", f"pictures/preview-files/{movie['id']}", files={"file": ("m.mp4", MOVIE, "video/mp4")})
    ids["movie_preview_id"], ids["movie.extension"] = movie["id"], "mp4"
    w.wait(f"data/preview-files/{movie['id']}", lambda found: found["status"] != "processing")
    playlist = w.post("data/playlists", {"name": f"Dailies {w.tag()}", "project_id": p})
    ids["playlist_id"] = playlist["id"]
    w.post(f"actions/playlists/{playlist['id']}/add-entity", {"entity_id": shot["id"], "preview_file_id": movie["id"]})
    ids["build_job_id"] = w.get(f"data/playlists/{playlist['id']}/build/mp4")["id"]
    ids["token"] = w.post(f"data/playlists/{playlist['id']}/share", {})["token"]
    w.show(playlist)

    for who, on in ((artist3["id"], task), (w.person["user"], task)):
        spent = w.post(f"actions/tasks/{on['id']}/time-spents/{DATE}/persons/{who}", {"duration": 60})
        w.show(spent)
    ids["day_off_id"] = w.post("data/day-offs", {"person_id": artist3["id"], "date": DATE, "end_date": DATE})["id"]
    descriptor = w.post(f"data/projects/{p}/metadata-descriptors",
                        {"name": f"Difficulty {w.tag()}", "entity_type": "Shot", "choices": []})
    ids["metadata_descriptor_id"] = descriptor["id"]
    edit = w.post(f"data/projects/{p}/edits", {"name": "Cut01", "episode_id": episode["id"]})
    concept = w.post(f"data/projects/{p}/concepts", {"name": "Idea"})
    ids.update(edit_id=edit["id"], concept_id=concept["id"])
    w.show(descriptor, edit, concept)

    software = w.get("data/softwares")
    ids["software_id"] = software[0]["id"] if software else w.post("data/softwares", {"name": "Blender", "short_name": "bl",
                                                                                     "file_extension": "blend"})["id"]
    working = w.post(f"data/tasks/{task['id']}/working-files/new", {"name": "main", "comment": "wip"})
    ids["working_file_id"] = working["id"]
    w.call("POST", f"data/working-files/{working['id']}/file", files={"file": ("main.blend", b"blend", "text/plain")})
    output_type = w.post("data/output-types", {"name": f"Cache {w.tag()}", "short_name": "cch"})
    ids["output_type_id"] = output_type["id"]
    output = w.post(f"data/entities/{shot['id']}/output-files/new",
                    {"output_type_id": output_type["id"], "task_type_id": anim["id"], "comment": "out"})
    ids["output_file_id"] = output["id"]
    w.show(working, output)
    statuses_f = w.get("data/file-status")
    ids["status_id"] = statuses_f[0]["id"] if statuses_f else w.post("data/file-status", {"name": "ok", "color": "#000000"})["id"]

    budget = w.post(f"data/projects/{p}/budgets", {"name": "Main", "currency": "EUR"})
    entry = w.post(f"data/projects/{p}/budgets/{budget['id']}/entries",
                   {"department_id": dept_shot["id"], "start_date": DATE, "months_duration": 2, "daily_salary": 100,
                    "position": "artist", "seniority": "mid"})
    ids.update(budget_id=budget["id"], entry_id=entry["id"])
    w.show(budget, entry)
    template = w.post("data/project-templates", {"name": f"Template {w.tag()}"})
    ids["project_template_id"] = template["id"]
    ids["studio_id"] = w.post("data/studios", {"name": f"Studio {w.tag()}"})["id"]
    organisation = w.get("data/organisations")
    ids["organisation_id"] = organisation[0]["id"] if organisation else w.person["admin"]
    pictures = [f"persons/{person}" for person in [artist3["id"], *w.person.values()]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda kind: w.call("POST", f"pictures/thumbnails/{kind}", files={"file": ("t.png", PNG, "image/png")}),
                      [*pictures, f"projects/{p}", f"organisations/{ids['organisation_id']}"]))
    other_production(w)
    w.wait(f"data/playlists/{playlist['id']}/jobs/{ids['build_job_id']}", lambda job: job["status"] != "running")

    for role in ROLES[1:]:
        member = role not in ("user_noteam", "manager_noteam")
        if member:
            note = w.post("data/notifications", {"person_id": w.person[role], "author_id": w.person["admin"],
                                                 "comment_id": comment["id"], "task_id": task["id"],
                                                 "type": "comment", "read": False})
            w.own[role]["notification_id"] = note["id"]
            w.show(note)
        else:
            w.own[role]["notification_id"] = w.own["admin"]["notification_id"]
        own_filters(w, role, member)


def other_production(w: World) -> None:
    """Zou's database held other open productions: the admin's first page of open tasks (100, by
    production name) showed none of the fixture's. This one sorts first and fills that page."""
    project = w.post("data/projects", {"name": f"AAA Other {w.tag()}", "production_type": "short"})
    w.post(f"data/projects/{project['id']}/settings/task-types", {"task_type_id": w.ids["task_type_id"]})
    lines = "".join(f"SQ01,OT{n:03d}\n" for n in range(101))
    w.call("POST", f"import/csv/projects/{project['id']}/shots",
           files={"file": ("shots.csv", f"Sequence,Name\n{lines}".encode(), "text/csv")})
    w.post(f"actions/projects/{project['id']}/task-types/{w.ids['task_type_id']}/shots/create-tasks", [])


def own_filters(w: World, role: str, member: bool) -> None:
    session = w.sessions[role]
    body = {"name": f"f{w.tag()}", "query": "hero", "list_type": "asset", "entity_type": "Asset"}
    if member:
        body["project_id"] = w.ids["project_id"]
    found = session.post(f"{w.api}/data/user/filters", json=body).json()
    group = session.post(f"{w.api}/data/user/filter-groups", json=body | {"color": "#000000"}).json()
    w.own[role].update(filter_id=found["id"], filter_group_id=group["id"])
    if member:
        w.show(found, group)


# ----------------------------------------------------------------------------- how each row is sent

Prepare = Callable[[World, str], Ids]


@dataclass
class Send:
    body: Callable[[World, str], Json] | None = None
    files: Callable[[World, str], dict[str, Any]] | None = None
    prepare: Prepare | None = None
    # for ``~`` rows: did the change happen (True) or was the request ignored (False)?
    changed: Callable[[World, str, Ids], bool] | None = None
    query: str = ""
    values: dict[str, str] = field(default_factory=dict)  # route values of this row only
    use: dict[str, str] = field(default_factory=dict)  # route value -> the fixture's id to use instead
    headers: Callable[[World, str], dict[str, str]] | None = None


def _c(value: Json) -> Callable[[World, str], Json]:
    return lambda w, role: value


def _named(**extra: Json) -> Callable[[World, str], Json]:
    return lambda w, role: {"name": f"N{w.tag()}"} | extra


def _file(name: str = "p.png", data: bytes = PNG, kind: str = "image/png", field_name: str = "file") -> Callable[
        [World, str], dict[str, Any]]:
    return lambda w, role: {field_name: (name, data, kind)}


def _victim(make: Callable[[World], Ids]) -> Prepare:
    return lambda w, role: make(w)


def _assignees(w: World, task_id: str) -> list[str]:
    return list(w.get(f"data/tasks/{task_id}")["assignees"])


def _victim_template_item(kind: str, key: str, make: Callable[[World], str]) -> Prepare:
    def prepare(w: World, role: str) -> Ids:
        item = make(w)
        template = w.post("data/project-templates", {"name": f"T{w.tag()}"})["id"]
        w.post(f"data/project-templates/{template}/{kind}", {key: item})
        return {"project_template_id": template, "asset_type_id" if kind == "asset-types" else
                {"task-types": "task_type_id", "task-statuses": "task_status_id",
                 "status-automations": "status_automation_id",
                 "preview-background-files": "preview_background_file_id"}[kind]: item}
    return prepare


def _victim_setting(kind: str, key: str, param: str, make: Callable[[World], str]) -> Prepare:
    def prepare(w: World, role: str) -> Ids:
        item = make(w)
        w.post(f"data/projects/{w.ids['project_id']}/settings/{kind}", {key: item})
        return {param: item}
    return prepare


def _new_task_type(w: World) -> str:
    return str(w.post("data/task-types", {"name": f"TT{w.tag()}", "for_entity": "Shot"})["id"])


def _new_status(w: World) -> str:
    return str(w.post("data/task-status", {"name": f"S{w.tag()}", "short_name": f"s{w.tag()}", "color": "#101010"})["id"])


def _new_automation(w: World) -> str:
    tt = w.ids["task_type_id"]
    return str(w.post("data/status-automations", {"entity_type": "asset", "in_task_type_id": tt,
                                                  "in_task_status_id": w.ids["task_status_id"],
                                                  "out_field_type": "status", "out_task_type_id": tt,
                                                  "out_task_status_id": w.ids["done_status_id"]})["id"])


def _new_background(w: World) -> str:
    return str(w.post("data/preview-background-files", {"name": f"B{w.tag()}"})["id"])


def _comment_victim(w: World) -> Ids:
    comment = w.comment()
    return {"comment_id": comment["id"]}


def _comment_preview_victim(w: World) -> Ids:
    comment = w.comment()
    return {"comment_id": comment["id"], "preview_file_id": w.preview(comment)["id"]}


def _attachment_victim(w: World) -> Ids:
    comment = w.comment()
    answer = w.call("POST", f"actions/tasks/{w.ids['task_id']}/comments/{comment['id']}/add-attachment",
                    files={"files": ("a.png", PNG, "image/png")})
    first = answer[0] if isinstance(answer, list) else answer
    return {"comment_id": comment["id"], "attachment_file_id": first["id"]}


def _entity_link_victim(w: World) -> Ids:
    shot = w.shot()
    w.put(f"data/projects/{w.ids['project_id']}/entities/{shot['id']}/casting",
          [{"asset_id": w.ids["asset_id"], "nb_occurences": 1}])
    links = w.get(f"data/entity-links?entity_in_id={shot['id']}")
    return {"entity_link_id": links[0]["id"]}


def _team_victim(w: World) -> Ids:
    person = w.new_person("user", "victim")
    w.post(f"data/projects/{w.ids['project_id']}/team", {"person_id": person["id"]})
    return {"person_id": person["id"]}


def _clear_victim(w: World) -> Ids:
    task = w.task()
    w.put(f"actions/persons/{w.ids['person_id']}/assign", {"task_ids": [task["id"]]})
    return {"task_id": task["id"]}


def _assign_self_victim(w: World, role: str) -> Ids:
    return {"task_id": w.task()["id"], "person_id": w.person.get(role, w.ids["person_id"])}


def _own(key: str) -> Prepare:
    return lambda w, role: {key: (w.own[role] or w.own["admin"])[key]}


def _time_spent_victim(w: World) -> Ids:
    day = f"2025-02-{(w.n % 27) + 1:02d}"
    spent = w.post(f"actions/tasks/{w.ids['task_id']}/time-spents/{day}/persons/{w.ids['person_id']}", {"duration": 30})
    return {"time_spent_id": spent["id"]}


def _person_department_victim(self_variant: bool) -> Prepare:
    def prepare(w: World, role: str) -> Ids:
        person = w.person.get(role, w.ids["person_id"]) if self_variant else w.ids["person_id"]
        department = w.post("data/departments", {"name": f"D{w.tag()}", "color": "#999999"})["id"]
        w.post(f"actions/persons/{person}/departments/add", {"department_id": department})
        return {"person_id": person, "department_id": department}
    return prepare


def _fresh_preview(w: World, role: str) -> Ids:
    preview = w.preview(w.comment(), upload=False)
    return {"new_preview_file_id": preview["id"], "preview_file_id": preview["id"]}


def _comments_of(w: World, task_id: str) -> int:
    return len(w.get(f"data/tasks/{task_id}/comments"))


def _assigned(w: World, role: str, values: Ids) -> bool:
    return values["person_id"] in _assignees(w, values["task_id"])


def _role_of(w: World, role: str, values: Ids) -> bool:
    return bool(w.get(f"data/persons/{values['person_id']}")["role"] == "admin")


def _comment_body(w: World, role: str) -> Json:
    return {"task_status_id": w.ids["task_status_id"], "comment": f"from {role}"}


MOVIE_ROW = Send(use={"preview_file_id": "movie_preview_id", "preview_file.extension": "movie.extension"})
SEND: dict[tuple[str, str, str], Send] = {
    ("GET", "data/assets", ""): Send(query="?source_id={episode_id}"),  # gazu's all_assets_for_episode
    ("GET", "auth/email-otp", ""): Send(query="?email={email}"),  # gazu's send_email_otp
    ("GET", "movies/low/preview-files/{preview_file_id}.mp4", ""): MOVIE_ROW,
    ("GET", "movies/originals/preview-files/{preview_file_id}.{preview_file.extension}", ""): MOVIE_ROW,
    ("GET", "actions/preview-files/{preview_file_id}/extract-tile", ""): MOVIE_ROW,
    ("POST", "actions/persons/{person_id}/change-password", ""): Send(_c({"password": PASSWORD, "password_2": PASSWORD})),
    ("POST", "actions/persons/{person_id}/change-password", "self"): Send(
        _c({"password": PASSWORD, "password_2": PASSWORD})),
    ("POST", "actions/persons/{person_id}/departments/add", ""): Send(lambda w, r: {"department_id": w.ids["department_id"]}),
    ("POST", "actions/persons/{person_id}/departments/add", "self"): Send(
        lambda w, r: {"department_id": w.ids["department_id"]}),
    ("POST", "actions/playlists/{playlist_id}/add-entity", ""): Send(lambda w, r: {"entity_id": w.ids["shot_id"]}),
    ("POST", "actions/projects/{project_id}/tasks/comment-many", ""): Send(
        lambda w, r: [{"object_id": w.ids["task_id"], "task_status_id": w.ids["task_status_id"], "comment": r}],
        prepare=lambda w, r: {"before": str(_comments_of(w, w.ids["task_id"]))},
        changed=lambda w, r, v: _comments_of(w, w.ids["task_id"]) > int(v["before"])),
    ("POST", "actions/tasks/batch-comment", ""): Send(
        lambda w, r: {"comments": [{"task_id": w.ids["task_id"], "task_status_id": w.ids["task_status_id"],
                                    "comment": r}]}),
    ("POST", "actions/tasks/{task_id}/batch-comment", ""): Send(
        lambda w, r: {"comments": [{"task_status_id": w.ids["task_status_id"], "comment": r}]}),
    ("POST", "actions/tasks/{task_id}/comment", ""): Send(_comment_body),
    ("POST", "actions/tasks/{task_id}/comments/{comment_id}/add-attachment", ""): Send(
        files=_file(field_name="files")),
    ("POST", "actions/tasks/{task_id}/comments/{comment_id}/add-preview", ""): Send(_c({})),
    ("POST", "actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_file_id}", ""): Send(files=_file()),
    ("POST", "actions/tasks/{task_id}/time-spents/{date}/persons/{person_id}", ""): Send(_c({"duration": 30})),
    ("POST", "actions/tasks/{task_id}/time-spents/{date}/persons/{person_id}", "self"): Send(_c({"duration": 30})),
    ("POST", "actions/tasks/{task_id}/time-spents/{date}/persons/{person_id}/add", ""): Send(_c({"duration": 10})),
    ("POST", "actions/tasks/{task_id}/time-spents/{date}/persons/{person_id}/add", "self"): Send(_c({"duration": 10})),
    ("POST", "auth/login", ""): Send(lambda w, r: {"email": w.email.get(r, w.email["admin"]),
                                                "password": w.password.get(r, w.password["admin"])}),
    ("GET", "auth/refresh-token", ""): Send(headers=lambda w, r: {"Authorization": f"Bearer {w.refresh[r]}"}
                                            if r in w.refresh else {}),
    ("GET", "data/persons/{id}/time-spents/month/all/{date}", ""): Send(values={"date": "2025/01"}),
    ("GET", "data/persons/{id}/time-spents/month/all/{date}", "self"): Send(values={"date": "2025/01"}),
    ("POST", "data/asset-instances/{asset_instance_id}/entities/{temporal_entity_id}/output-file-path", ""): Send(
        lambda w, r: {"output_type_id": w.ids["output_type_id"], "task_type_id": w.ids["task_type_id"]}),
    ("POST", "data/asset-instances/{asset_instance_id}/entities/{temporal_entity_id}/output-files/new", ""): Send(
        lambda w, r: {"output_type_id": w.ids["output_type_id"], "task_type_id": w.ids["task_type_id"],
                      "comment": r}),
    ("POST", "data/asset-instances/{asset_instance_id}/entities/{temporal_entity_id}/output-files/next-revision", ""):
        Send(lambda w, r: {"output_type_id": w.ids["output_type_id"], "task_type_id": w.ids["task_type_id"]}),
    ("POST", "data/assets/{asset_id}/asset-asset-instances", ""): Send(lambda w, r: {"asset_to_instantiate_id": w.ids["asset_id"]}),
    ("POST", "data/day-offs", ""): Send(lambda w, r: {"person_id": w.ids["person_id"], "date": f"2025-03-{w.n % 27 + 1:02d}",
                                                   "end_date": f"2025-03-{w.n % 27 + 1:02d}"}),
    ("POST", "data/departments", ""): Send(_named(color="#123456")),
    ("POST", "data/entities/guess_from_path", ""): Send(
        lambda w, r: {"project_id": w.ids["project_id"], "file_path": "/E01/SQ01/SH010/anim/main.blend"}),
    ("POST", "data/entities/{entity_id}/output-file-path", ""): Send(
        lambda w, r: {"output_type_id": w.ids["output_type_id"], "task_type_id": w.ids["task_type_id"]}),
    ("POST", "data/entities/{entity_id}/output-files/new", ""): Send(
        lambda w, r: {"output_type_id": w.ids["output_type_id"], "task_type_id": w.ids["task_type_id"], "comment": r}),
    ("POST", "data/entities/{entity_id}/output-files/next-revision", ""): Send(
        lambda w, r: {"output_type_id": w.ids["output_type_id"], "task_type_id": w.ids["task_type_id"]}),
    ("POST", "data/entities/{asset_id}/tasks", ""): Send(
        lambda w, r: {"task_type_ids": [w.ids["task_type_id"]]},
        prepare=lambda w, r: {"asset_id": w.shot()["id"]}),
    ("POST", "data/entity-types", ""): Send(_named()),
    ("POST", "data/file-status", ""): Send(_named(color="#123456")),
    ("POST", "data/output-types", ""): Send(lambda w, r: {"name": f"O{w.tag()}", "short_name": f"o{w.n}"}),
    ("POST", "data/persons", ""): Send(lambda w, r: {"first_name": "New", "last_name": w.tag(),
                                                  "email": f"new-{w.tag()}@matrix.test"}),
    ("POST", "data/playlists", ""): Send(lambda w, r: {"name": f"PL{w.tag()}", "project_id": w.ids["project_id"],
                                                    "episode_id": w.ids["episode_id"]}),
    ("POST", "data/playlists/{playlist_id}/notify-clients", ""): Send(_c({})),
    ("POST", "data/playlists/{playlist_id}/share", ""): Send(_c({})),
    ("POST", "data/project-templates", ""): Send(_named()),
    ("POST", "data/project-templates/from-project/{project_id}", ""): Send(_named()),
    ("POST", "data/project-templates/{project_template_id}/asset-types", ""): Send(
        lambda w, r: {"asset_type_id": w.ids["asset_type_id"]}),
    ("POST", "data/project-templates/{project_template_id}/preview-background-files", ""): Send(
        lambda w, r: {"preview_background_file_id": _new_background(w)}),
    ("POST", "data/project-templates/{project_template_id}/status-automations", ""): Send(
        lambda w, r: {"status_automation_id": _new_automation(w)}),
    ("POST", "data/project-templates/{project_template_id}/task-statuses", ""): Send(
        lambda w, r: {"task_status_id": w.ids["task_status_id"]}),
    ("POST", "data/project-templates/{project_template_id}/task-types", ""): Send(
        lambda w, r: {"task_type_id": w.ids["task_type_id"]}),
    ("POST", "data/projects", ""): Send(lambda w, r: {"name": f"P{w.tag()}", "production_type": "short"}),
    ("POST", "data/projects/{project_id}/apply-template/{project_template_id}", ""): Send(_c({})),
    ("POST", "data/projects/{project_id}/asset-types/{asset_type_id}/assets/new", ""): Send(_named()),
    ("POST", "data/projects/{project_id}/budgets", ""): Send(_named(currency="EUR")),
    ("POST", "data/projects/{project_id}/budgets/{budget_id}/entries", ""): Send(
        lambda w, r: {"department_id": w.ids["department_id"], "start_date": DATE, "months_duration": 1,
                      "daily_salary": 100, "position": "artist", "seniority": "mid"}),
    ("POST", "data/projects/{project_id}/concepts", ""): Send(_named()),
    ("POST", "data/projects/{project_id}/edits", ""): Send(lambda w, r: {"name": f"ED{w.tag()}",
                                                                      "episode_id": w.ids["episode_id"]}),
    ("POST", "data/projects/{project_id}/episodes", ""): Send(_named()),
    ("POST", "data/projects/{project_id}/metadata-descriptors", ""): Send(
        lambda w, r: {"name": f"M{w.tag()}", "entity_type": "Asset", "choices": []}),
    ("POST", "data/projects/{project_id}/metadata-descriptors/reorder", ""): Send(
        lambda w, r: {"entity_type": "Shot", "descriptor_ids": [w.ids["metadata_descriptor_id"]]}),
    ("POST", "data/projects/{project_id}/playlists/temp", ""): Send(lambda w, r: {"task_ids": [w.ids["task_id"]]}),
    ("POST", "data/projects/{project_id}/scenes", ""): Send(lambda w, r: {"name": f"SC{w.tag()}",
                                                                       "sequence_id": w.ids["sequence_id"]}),
    ("POST", "data/projects/{project_id}/sequences", ""): Send(lambda w, r: {"name": f"SQ{w.tag()}",
                                                                          "episode_id": w.ids["episode_id"]}),
    ("POST", "data/projects/{project_id}/settings/asset-types", ""): Send(
        lambda w, r: {"asset_type_id": w.ids["asset_type_id"]}),
    ("POST", "data/projects/{project_id}/settings/preview-background-files", ""): Send(
        lambda w, r: {"preview_background_file_id": _new_background(w)}),
    ("POST", "data/projects/{project_id}/settings/status-automations", ""): Send(
        lambda w, r: {"status_automation_id": _new_automation(w)}),
    ("POST", "data/projects/{project_id}/settings/task-status", ""): Send(
        lambda w, r: {"task_status_id": w.ids["task_status_id"]}),
    ("POST", "data/projects/{project_id}/settings/task-types", ""): Send(
        lambda w, r: {"task_type_id": w.ids["task_type_id"]}),
    ("POST", "data/projects/{project_id}/shots", ""): Send(lambda w, r: {"name": f"SH{w.tag()}",
                                                                      "sequence_id": w.ids["sequence_id"]}),
    ("POST", "data/projects/{project_id}/team", ""): Send(lambda w, r: {"person_id": w.ids["person_id"]}),
    ("POST", "data/projects/{project_id}/team", "self"): Send(lambda w, r: {"person_id": w.person.get(r, "")}),
    ("POST", "data/scenes/{scene_id}/asset-instances", ""): Send(lambda w, r: {"asset_id": w.ids["asset_id"]}),
    ("POST", "data/scenes/{scene_id}/shots", ""): Send(lambda w, r: {"shot_id": w.ids["shot_id"]}),
    ("POST", "data/search", ""): Send(_c({"query": "hero"})),
    ("POST", "data/shots/{shot_id}/asset-instances", ""): Send(
        lambda w, r: {"asset_instance_id": w.ids["asset_instance_id"]}),
    ("POST", "data/softwares", ""): Send(lambda w, r: {"name": f"SW{w.tag()}", "short_name": f"s{w.n}",
                                                    "file_extension": "ext"}),
    ("POST", "data/task-status", ""): Send(lambda w, r: {"name": f"TS{w.tag()}", "short_name": f"t{w.tag()}",
                                                      "color": "#123456"}),
    ("POST", "data/task-types", ""): Send(lambda w, r: {"name": f"TT{w.tag()}", "for_entity": "Shot"}),
    ("POST", "data/tasks", ""): Send(lambda w, r: {"project_id": w.ids["project_id"], "entity_id": w.shot()["id"],
                                                "task_type_id": w.ids["task_type_id"],
                                                "task_status_id": w.ids["task_status_id"]}),
    ("POST", "data/tasks/{task_id}/comments/{comment_id}/ack", ""): Send(_c({})),
    ("POST", "data/tasks/{task_id}/comments/{comment_id}/reply", ""): Send(_c({"text": "reply"})),
    ("POST", "data/tasks/{task_id}/working-file-path", ""): Send(_c({"name": "main"})),
    ("POST", "data/tasks/{task_id}/working-files/new", ""): Send(lambda w, r: {"name": f"wf{w.tag()}", "comment": r}),
    ("POST", "data/user/desktop-login-logs", ""): Send(_c({"date": "2025-01-15T10:00:00"})),
    ("POST", "data/user/filter-groups", ""): Send(
        lambda w, r: {"name": f"g{w.tag()}", "color": "#000000", "list_type": "asset", "entity_type": "Asset",
                      "project_id": w.ids["project_id"]}),
    ("POST", "data/user/filters", ""): Send(
        lambda w, r: {"name": f"f{w.tag()}", "query": "x", "list_type": "asset", "entity_type": "Asset",
                      "project_id": w.ids["project_id"]}),
    ("POST", "data/working-files/{working_file_id}/file", ""): Send(files=_file("main.blend", b"blend", "application/octet-stream")),
    ("POST", "import/csv/projects/{project_id}/assets", ""): Send(
        files=lambda w, r: {"file": ("assets.csv", f"Type,Name\n{w.ids['asset_type.name']},Csv{w.tag()}\n".encode(),
                                      "text/csv")}),
    ("POST", "import/csv/projects/{project_id}/shots", ""): Send(
        files=lambda w, r: {"file": ("shots.csv", f"Episode,Sequence,Name\nE01,SQ01,CS{w.tag()}\n".encode(),
                                     "text/csv")}),
    ("POST", "import/kitsu/entities", ""): Send(_c([])),
    ("POST", "import/kitsu/entity-links", ""): Send(_c([])),
    ("POST", "import/kitsu/tasks", ""): Send(_c([])),
    ("POST", "import/otio/projects/{project_id}", ""): Send(files=_file("cut.otio", OTIO.encode(), "application/json")),
    ("POST", "import/otio/projects/{project_id}/episodes/{episode_id}", ""): Send(
        files=_file("cut.otio", OTIO.encode(), "application/json")),
    ("POST", "pictures/preview-files/{new_preview_file_id}[?normalize=false][&no_job=true]", ""): Send(
        files=_file(), prepare=_fresh_preview),
    ("POST", "pictures/thumbnails/organisations/{organisation_id}", ""): Send(files=_file()),
    ("POST", "pictures/thumbnails/persons/{person_id}", ""): Send(files=_file()),
    ("POST", "pictures/thumbnails/persons/{person_id}", "self"): Send(files=_file()),
    ("POST", "pictures/thumbnails/projects/{project_id}", ""): Send(files=_file()),
    ("PUT", "actions/persons/{person_id}/assign", ""): Send(
        lambda w, r: {"task_ids": [w.ids["victim_task"]]},
        prepare=lambda w, r: {"victim_task": w.task()["id"]},
        changed=lambda w, r, v: w.ids["person_id"] in _assignees(w, v["victim_task"])),
    ("PUT", "actions/persons/{person_id}/assign", "self"): Send(
        lambda w, r: {"task_ids": [w.ids["victim_task"]]},
        prepare=lambda w, r: {"victim_task": w.task()["id"]},
        changed=lambda w, r, v: w.person.get(r, "") in _assignees(w, v["victim_task"])),
    ("PUT", "actions/preview-files/{preview_file_id}/set-main-preview", ""): Send(_c({})),
    ("PUT", "actions/preview-files/{preview_file_id}/update-annotations", ""): Send(
        _c({"additions": [], "updates": [], "deletions": []})),
    ("PUT", "actions/preview-files/{preview_file_id}/update-position", ""): Send(_c({"position": 1})),
    ("PUT", "actions/working-files/{working_file_id}/comment", ""): Send(_c({"comment": "updated"})),
    ("PUT", "actions/working-files/{working_file_id}/modified", ""): Send(_c({})),
    ("PUT", "data/asset-instances/{asset_instance_id}", ""): Send(_c({"description": "moved"})),
    ("PUT", "data/comments/{comment_id}", ""): Send(_c({"text": "edited"})),
    ("PUT", "data/day-offs/{day_off_id}", ""): Send(_c({"description": "holiday"})),
    ("PUT", "data/departments/{department_id}", ""): Send(_c({"color": "#654321"})),
    ("PUT", "data/entities/{asset_id}", ""): Send(_c({"description": "updated"})),
    ("PUT", "data/entity-types/{asset_type_id}", ""): Send(_c({"short_name": "chr"})),
    ("PUT", "data/output-files/{output_file_id}", ""): Send(_c({"comment": "updated"})),
    ("PUT", "data/persons/{bot_id}", ""): Send(_c({"phone": "0123"})),
    ("PUT", "data/persons/{bot_id}", "self"): Send(_c({"phone": "0123"})),
    ("PUT", "data/persons/{bot_id}", "escalate"): Send(_c({"role": "admin"}), changed=_role_of),
    ("PUT", "data/playlists/{playlist_id}", ""): Send(_c({"for_client": False})),
    ("PUT", "data/preview-files/{new_preview_file_id}", ""): Send(_c({"status": "ready"})),
    ("PUT", "data/project-templates/{project_template_id}", ""): Send(_c({"description": "tpl"})),
    ("PUT", "data/project-templates/{project_template_id}/default-preview-background-file", ""): Send(
        lambda w, r: {"preview_background_file_id": None}),
    ("PUT", "data/project-templates/{project_template_id}/metadata-descriptors", ""): Send(
        _c({"metadata_descriptors": []})),
    ("PUT", "data/projects/{project_id}", ""): Send(_c({"description": "updated"})),
    ("PUT", "data/projects/{project_id}/budgets/{budget_id}", ""): Send(_c({"name": "Main"})),
    ("PUT", "data/projects/{project_id}/budgets/{budget_id}/entries/{entry_id}", ""): Send(_c({"daily_salary": 120})),
    ("PUT", "data/projects/{project_id}/entities/casting/assets/{asset_id}", ""): Send(
        lambda w, r: {"entity_ids": [w.ids["shot_id"]], "nb_occurences": 1}),
    ("PUT", "data/projects/{project_id}/entities/{asset_id}/casting", ""): Send(
        lambda w, r: [{"asset_id": w.ids["asset_id"], "nb_occurences": 1}],
        prepare=lambda w, r: {"asset_id": w.ids["shot_id"]}),
    ("PUT", "data/projects/{project_id}/metadata-descriptors/{metadata_descriptor_id}", ""): Send(
        _c({"choices": ["easy", "hard"]})),
    ("PUT", "data/projects/{project_id}/team/{person_id}", ""): Send(_c({"role": "user"})),
    ("PUT", "data/projects/{project_id}/team/{person_id}", "self"): Send(lambda w, r: {"role": None}),
    ("PUT", "data/projects/{project_id}/team/{person_id}", "escalate"): Send(_c({"role": "manager"})),
    ("PUT", "data/shots/{shot_id}", ""): Send(_c({"description": "updated"})),
    ("PUT", "data/softwares/{software_id}", ""): Send(_c({"file_extension": "blend"})),
    ("PUT", "data/studios/{studio_id}", ""): Send(_c({"color": "#111111"})),
    ("PUT", "data/task-status/{task_status_id}", ""): Send(_c({"color": "#ff0000"})),
    ("PUT", "data/task-types/{task_type_id}", ""): Send(_c({"color": "#00ff00"})),
    ("PUT", "data/tasks/{task_id}", ""): Send(_c({"description": "updated"})),
    ("PUT", "data/user/filter-groups/{filter_group_id}", ""): Send(_c({"color": "#ffffff"}), prepare=_own("filter_group_id")),
    ("PUT", "data/user/filters/{filter_id}", ""): Send(_c({"query": "y"}), prepare=_own("filter_id")),
    ("PUT", "data/user/notifications/{notification_id}", ""): Send(_c({"read": True}), prepare=_own("notification_id")),
    # destroy
    ("POST", "actions/projects/{project_id}/delete-entities", ""): Send(
        lambda w, r: [w.ids["victim"]], prepare=lambda w, r: {"victim": w.shot()["id"]}),
    ("POST", "actions/projects/{project_id}/delete-tasks", ""): Send(
        lambda w, r: [w.ids["victim"]], prepare=lambda w, r: {"victim": w.task()["id"]}),
    ("POST", "actions/tasks/{task_id}/comments/{comment_id}/move", ""): Send(
        lambda w, r: {"target_task_id": w.ids["target"]},
        prepare=lambda w, r: {"comment_id": w.comment()["id"],
                              "target": w.task(w.ids["shot_id"], _project_task_type(w))["id"]}),
    ("PUT", "actions/tasks/clear-assignation", ""): Send(
        lambda w, r: {"task_ids": [w.ids["victim_task"]], "person_id": w.ids["person_id"]},
        prepare=lambda w, r: {"victim_task": _clear_victim(w)["task_id"]},
        changed=lambda w, r, v: w.ids["person_id"] not in _assignees(w, v["victim_task"])),
    ("DELETE", "actions/persons/{person_id}/departments/{department_id}", ""): Send(
        prepare=_person_department_victim(False)),
    ("DELETE", "actions/persons/{person_id}/departments/{department_id}", "self"): Send(
        prepare=_person_department_victim(True)),
    ("DELETE", "actions/projects/{project_id}/task-types/{task_type_id}/delete-tasks", ""): Send(
        prepare=lambda w, r: {"task_type_id": w.task(task_type_id=_project_task_type(w))["task_type_id"]}),
    ("DELETE", "actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_file_id}", ""): Send(
        prepare=_victim(_comment_preview_victim)),
    ("DELETE", "data/assets/{asset_id}", ""): Send(prepare=_victim(lambda w: {"asset_id": w.post(
        f"data/projects/{w.ids['project_id']}/asset-types/{w.ids['asset_type_id']}/assets/new",
        {"name": f"AV{w.tag()}"})["id"]})),
    ("DELETE", "data/comments/{comment_id}", ""): Send(prepare=_victim(_comment_victim)),
    ("DELETE", "data/concepts/{concept_id}", ""): Send(prepare=_victim(lambda w: {"concept_id": w.post(
        f"data/projects/{w.ids['project_id']}/concepts", {"name": f"CV{w.tag()}"})["id"]})),
    ("DELETE", "data/day-offs/{day_off_id}", ""): Send(prepare=_victim(lambda w: {"day_off_id": w.post(
        "data/day-offs", {"person_id": w.ids["person_id"], "date": f"2025-04-{w.n % 27 + 1:02d}",
                          "end_date": f"2025-04-{w.n % 27 + 1:02d}"})["id"]})),
    ("DELETE", "data/departments/{department_id}", ""): Send(prepare=_victim(lambda w: {"department_id": w.post(
        "data/departments", {"name": f"DV{w.tag()}", "color": "#000000"})["id"]})),
    ("DELETE", "data/edits/{edit_id}", ""): Send(prepare=_victim(lambda w: {"edit_id": w.post(
        f"data/projects/{w.ids['project_id']}/edits", {"name": f"EV{w.tag()}", "episode_id": w.ids["episode_id"]})["id"]})),
    ("DELETE", "data/entities/{entity_id}", ""): Send(prepare=_victim(lambda w: {"entity_id": w.shot()["id"]})),
    ("DELETE", "data/entity-links/{entity_link_id}", ""): Send(prepare=_victim(_entity_link_victim)),
    ("DELETE", "data/entity-types/{asset_type_id}", ""): Send(prepare=_victim(lambda w: {"asset_type_id": w.post(
        "data/entity-types", {"name": f"ETV{w.tag()}"})["id"]})),
    ("DELETE", "data/episodes/{episode_id}", ""): Send(prepare=_victim(lambda w: {"episode_id": w.post(
        f"data/projects/{w.ids['project_id']}/episodes", {"name": f"EPV{w.tag()}"})["id"]})),
    ("DELETE", "data/persons/{bot_id}", ""): Send(prepare=_victim(lambda w: {"bot_id": w.new_person("user", "pv")["id"]})),
    ("DELETE", "data/playlists/{playlist_id}", ""): Send(prepare=_victim(lambda w: {"playlist_id": w.post(
        "data/playlists", {"name": f"PV{w.tag()}", "project_id": w.ids["project_id"],
                           "episode_id": w.ids["episode_id"]})["id"]})),
    ("DELETE", "data/playlists/{playlist_id}/jobs/{build_job_id}", ""): Send(prepare=_victim(lambda w: {
        "build_job_id": w.get(f"data/playlists/{w.ids['playlist_id']}/build/mp4")["id"]})),
    ("DELETE", "data/playlists/{playlist_id}/share/{token}", ""): Send(prepare=_victim(lambda w: {
        "token": w.post(f"data/playlists/{w.ids['playlist_id']}/share", {})["token"]})),
    ("DELETE", "data/preview-files/{preview_file_id}", ""): Send(prepare=_victim(lambda w: {
        "preview_file_id": w.preview()["id"]})),
    ("DELETE", "data/project-templates/{project_template_id}", ""): Send(prepare=_victim(lambda w: {
        "project_template_id": w.post("data/project-templates", {"name": f"TV{w.tag()}"})["id"]})),
    ("DELETE", "data/project-templates/{project_template_id}/asset-types/{asset_type_id}", ""): Send(
        prepare=_victim_template_item("asset-types", "asset_type_id", lambda w: w.ids["asset_type_id"])),
    ("DELETE", "data/project-templates/{project_template_id}/preview-background-files/{preview_background_file_id}", ""):
        Send(prepare=_victim_template_item("preview-background-files", "preview_background_file_id", _new_background)),
    ("DELETE", "data/project-templates/{project_template_id}/status-automations/{status_automation_id}", ""): Send(
        prepare=_victim_template_item("status-automations", "status_automation_id", _new_automation)),
    ("DELETE", "data/project-templates/{project_template_id}/task-statuses/{task_status_id}", ""): Send(
        prepare=_victim_template_item("task-statuses", "task_status_id", lambda w: w.ids["task_status_id"])),
    ("DELETE", "data/project-templates/{project_template_id}/task-types/{task_type_id}", ""): Send(
        prepare=_victim_template_item("task-types", "task_type_id", lambda w: w.ids["task_type_id"])),
    ("DELETE", "data/projects/{project_id}", ""): Send(query="?force=true", prepare=_victim(lambda w: {
        "project_id": _closed_project(w)})),
    ("DELETE", "data/projects/{project_id}/budgets/{budget_id}", ""): Send(prepare=_victim(lambda w: {
        "budget_id": w.post(f"data/projects/{w.ids['project_id']}/budgets", {"name": f"BV{w.tag()}"})["id"]})),
    ("DELETE", "data/projects/{project_id}/budgets/{budget_id}/entries/{entry_id}", ""): Send(prepare=_victim(lambda w: {
        "entry_id": w.post(f"data/projects/{w.ids['project_id']}/budgets/{w.ids['budget_id']}/entries",
                           {"department_id": w.ids["department_id"], "start_date": DATE, "months_duration": 1,
                            "daily_salary": 1, "position": "artist", "seniority": "mid"})["id"]})),
    ("DELETE", "data/projects/{project_id}/metadata-descriptors/{metadata_descriptor_id}", ""): Send(
        prepare=_victim(lambda w: {"metadata_descriptor_id": w.post(
            f"data/projects/{w.ids['project_id']}/metadata-descriptors",
            {"name": f"MV{w.tag()}", "entity_type": "Asset", "choices": []})["id"]})),
    ("DELETE", "data/projects/{project_id}/settings/preview-background-files/{background_file_id}", ""): Send(
        prepare=_victim_setting("preview-background-files", "preview_background_file_id", "background_file_id",
                                _new_background)),
    ("DELETE", "data/projects/{project_id}/settings/status-automations/{automation_id}", ""): Send(
        prepare=_victim_setting("status-automations", "status_automation_id", "automation_id", _new_automation)),
    ("DELETE", "data/projects/{project_id}/settings/task-status/{task_status_id}", ""): Send(
        prepare=_victim_setting("task-status", "task_status_id", "task_status_id", _new_status)),
    ("DELETE", "data/projects/{project_id}/settings/task-types/{task_type_id}", ""): Send(
        prepare=_victim_setting("task-types", "task_type_id", "task_type_id", _new_task_type)),
    ("DELETE", "data/projects/{project_id}/team/{person_id}", ""): Send(prepare=_victim(_team_victim)),
    ("DELETE", "data/scenes/{scene_id}/shots/{shot_id}", ""): Send(prepare=_victim(lambda w: _scene_shot_victim(w))),
    ("DELETE", "data/sequences/{sequence_id}", ""): Send(prepare=_victim(lambda w: {"sequence_id": w.post(
        f"data/projects/{w.ids['project_id']}/sequences", {"name": f"SQV{w.tag()}", "episode_id": w.ids["episode_id"]})["id"]})),
    ("DELETE", "data/shots/{shot_id}", ""): Send(prepare=_victim(lambda w: {"shot_id": w.shot()["id"]})),
    ("DELETE", "data/shots/{shot_id}/asset-instances/{asset_instance_id}", ""): Send(
        prepare=_victim(lambda w: _shot_instance_victim(w))),
    ("DELETE", "data/studios/{studio_id}", ""): Send(prepare=_victim(lambda w: {"studio_id": w.post(
        "data/studios", {"name": f"STV{w.tag()}"})["id"]})),
    ("DELETE", "data/task-status/{task_status_id}", ""): Send(prepare=_victim(lambda w: {"task_status_id": _new_status(w)})),
    ("DELETE", "data/task-types/{task_type_id}", ""): Send(prepare=_victim(lambda w: {"task_type_id": _new_task_type(w)})),
    ("DELETE", "data/tasks/{task_id}", ""): Send(prepare=_victim(lambda w: {"task_id": w.task()["id"]})),
    ("DELETE", "data/tasks/{task_id}/comments/{comment_id}/attachments/{attachment_file_id}", ""): Send(
        prepare=_victim(_attachment_victim)),
    ("DELETE", "data/tasks/{task_id}/comments/{comment_id}/reply/{reply_id}", ""): Send(prepare=_victim(lambda w: {
        "reply_id": w.post(f"data/tasks/{w.ids['task_id']}/comments/{w.ids['comment_id']}/reply", {"text": "r"})["id"]})),
    ("DELETE", "data/time-spents/{time_spent_id}", ""): Send(prepare=_victim(_time_spent_victim)),
    ("DELETE", "data/user/filter-groups/{filter_group_id}", ""): Send(prepare=_own("filter_group_id")),
    ("DELETE", "data/user/filters/{filter_id}", ""): Send(prepare=_own("filter_id")),
}


def _project_task_type(w: World) -> str:
    tt = _new_task_type(w)
    w.post(f"data/projects/{w.ids['project_id']}/settings/task-types", {"task_type_id": tt})
    return tt


def _closed_project(w: World) -> str:
    closed = next(s for s in w.get("data/project-status") if s["name"].lower() == "closed")
    return str(w.post("data/projects", {"name": f"PV{w.tag()}", "production_type": "short",
                                        "project_status_id": closed["id"]})["id"])


def _scene_shot_victim(w: World) -> Ids:
    shot = w.shot()
    w.post(f"data/scenes/{w.ids['scene_id']}/shots", {"shot_id": shot["id"]})
    return {"shot_id": shot["id"]}


def _shot_instance_victim(w: World) -> Ids:
    shot = w.shot()
    w.post(f"data/shots/{shot['id']}/asset-instances", {"asset_instance_id": w.ids["asset_instance_id"]})
    return {"shot_id": shot["id"]}


# destroy rows whose victim an account may keep: after a refusal it is reused, after a success remade
PARALLEL = 4  # requests in flight at once (the server has a thread pool; SQLite serialises the writes)
REMAKE_ALWAYS = {("DELETE", "data/user/filter-groups/{filter_group_id}", ""), ("DELETE", "data/user/filters/{filter_id}", "")}


# ----------------------------------------------------------------------------- replay

PLACEHOLDER = re.compile(r"\{([^}]+)\}")


def fill(route: str, values: Ids) -> str | None:
    route = re.sub(r"\[[^\]]*\]", "", route)
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        special = {"month:02d": "01", "year": "2025", "week": "3", "date": DATE}
        if name in values:
            return values[name]
        if name in special:
            return special[name]
        if name.endswith(".project_id"):
            return values["project_id"]
        missing = True
        return ""

    out = PLACEHOLDER.sub(one, route)
    return None if missing else out


@dataclass
class Cell:
    row: Row
    role: str
    status: int
    shows: bool
    changed: bool | None = None
    note: str = ""


@dataclass
class Outcome:
    cells: list[Cell] = field(default_factory=list)


def send(w: World, row: Row, role: str, values: Ids) -> Cell:
    spec = SEND.get(row.key, Send())
    values = values | spec.values | {name: w.ids[key] for name, key in spec.use.items()}
    path = None
    for route in row.routes:
        path = fill(route, values)
        if path is not None:
            break
    assert path is not None, f"no value for {row.routes}"
    if path == "''(API root)":
        url = w.api
    elif path.startswith("/socket.io/"):
        url = w.api.rsplit("/api", 1)[0] + "/socket.io/?EIO=4&transport=polling"
    else:
        url = f"{w.api}/{path.split(' ')[0]}{fill(spec.query, values | {'email': w.email.get(role, 'nobody@matrix.test')}) or ''}"
    kw: dict[str, Any] = {}
    if spec.files is not None:
        kw["files"] = spec.files(w, role)
    elif row.method in ("POST", "PUT"):
        kw["json"] = spec.body(w, role) if spec.body is not None else {}
    if spec.headers is not None:
        kw["headers"] = spec.headers(w, role)
    session = w.fresh(role) if path == "auth/logout" else w.session(role)
    answer = session.request(row.method, url, timeout=60, **kw)
    if answer.status_code == 401 and role != "anonymous" and "revoked" in answer.text and "headers" not in kw:
        w.relogin(role)  # an earlier row of this account ended its sessions (a password change)
        session = w.session(role)
        answer = session.request(row.method, url, timeout=60, **kw)
    shows = any(i in answer.text for i in w.shown) if answer.status_code < 300 and "json" in answer.headers.get(
        "content-type", "") else False
    return Cell(row, role, answer.status_code, shows, note=answer.text[:160])


def replay(w: World, rows: list[Row]) -> list[Cell]:
    cells: list[Cell] = []
    reads = [r for r in rows if r.phase == "read"]

    def read_all(role: str) -> list[Cell]:
        out = []
        for row in reads:
            if row.zou[role] == "-":
                continue
            values = base_values(w, row, role)
            out.append(send(w, row, role, values))
        return out

    clock = time.monotonic()
    def one_row(row: Row) -> list[Cell]:
        """A row of the write, destroy or late phase: its accounts one after the other (a destroy
        victim that an account could not remove is the next account's)."""
        out = []
        spec = SEND.get(row.key, Send())
        kept: Ids | None = None
        for role in ROLES:
            if row.zou[role] == "-":
                continue
            values = base_values(w, row, role)
            if spec.prepare is not None and role != "anonymous":
                if kept is None or row.phase != "destroy" or row.key in REMAKE_ALWAYS:
                    kept = spec.prepare(w, role)
                values |= kept
            elif spec.prepare is not None:
                kept = kept or spec.prepare(w, "admin")
                values |= kept
            with w.victims(values):
                cell = send(w, row, role, values)
                if spec.changed is not None and cell.status < 300 and role != "anonymous":
                    cell.changed = spec.changed(w, role, values)
            if row.phase == "destroy" and cell.status < 300:
                kept = None
            out.append(cell)
        return out

    # reads by account in parallel; then writes and destroys by row in parallel (each row's objects
    # are its own victims); the late rows (log out, the accounts' own changes) last, in order
    clock = time.monotonic()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for found in pool.map(read_all, ROLES):
            cells += found
        print(f"\nreads {time.monotonic() - clock:.1f} s")
        for phase in ("write", "destroy"):
            clock = time.monotonic()
            for found in pool.map(one_row, [r for r in rows if r.phase == phase]):
                cells += found
            print(f"{phase} {time.monotonic() - clock:.1f} s")
    for row in (r for r in rows if r.phase == "late"):
        cells += one_row(row)
    return cells


def base_values(w: World, row: Row, role: str) -> Ids:
    values = dict(w.ids) | (w.own.get(role) or w.own["admin"])
    if row.variant in ("self", "escalate"):
        person = w.person.get(role, "")
        values.update(person_id=person, id=person, bot_id=person)
    return values


# ----------------------------------------------------------------------------- decisions

def zou_decision(row: Row, role: str) -> str:
    """allow / deny / pass (Zou let the request through but answered an error) / skip."""
    cell = row.zou[role]
    code = int(cell[:3])
    if cell.endswith("~"):
        return "ignored"
    if code < 300:
        return "allow"
    if code in (401, 403):
        return "deny"
    if code == 404:
        return "deny" if any(c[:1] == "2" for c in row.zou.values()) else "pass"
    if code == 400:
        return "pass"
    return "skip"


def ours(cell: Cell) -> str:
    if cell.status < 300:
        return "allow"
    if cell.status in (401, 403):
        return "deny"
    if cell.status == 404 and any(c[:1] == "2" for c in cell.row.zou.values()):
        return "deny"
    return "error"


def categorise(cell: Cell, holes: set[tuple[str, str, str, str]]) -> str | None:
    """None when foxtrack agrees with Zou (or refuses a hole), else the kind of difference."""
    row, role = cell.row, cell.role
    theirs, mine = zou_decision(row, role), ours(cell)
    if mine == "allow" and cell.changed is not None:
        mine = "allow" if cell.changed else "deny"
    if (row.key[0], row.key[1], row.key[2], role) in holes:
        return None if mine == "deny" else "keeps a Zou hole"
    if theirs == "skip":
        return None
    if theirs == "ignored":
        return "allows what Zou ignores" if mine == "allow" and cell.changed else None
    if theirs == "pass":
        return None if mine != "deny" else "refuses what Zou lets through"
    if theirs == "deny":
        if mine == "allow":
            return "allows what Zou refuses"
        return None if mine == "deny" else "error where Zou refuses"
    # Zou allows
    if mine == "deny":
        return "refuses what Zou allows"
    if mine == "error":
        return "error where Zou allows"
    if row.phase == "read" and cell.shows and not row.zou[role].endswith("+"):
        return "read shows objects Zou shows none of"
    return None


SECURITY = ("allows what Zou refuses", "allows what Zou ignores", "keeps a Zou hole", "read shows objects Zou shows none of")

@contextmanager
def replayed(backend: str) -> Iterator[tuple[list[Cell], set[tuple[str, str, str, str]]]]:
    """The replayed cells on a server of their own (its accounts and productions are the matrix's),
    on ``backend`` (``sqlite`` or ``postgresql``; the PostgreSQL run is ``test_role_matrix_postgres.py``,
    a file of its own so that the two runs go to two test workers)."""
    if not (REFERENCE / "zou-permissions.tsv").exists():
        pytest.skip(f"the shared reference folder is not beside the repo ({REFERENCE})")
    url = None
    if backend == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    server = start_server(env={"FOXTRACK_BCRYPT_ROUNDS": "4"}, database_url=url)
    try:
        started = time.monotonic()
        w = World(server)
        build(w)
        built = time.monotonic()
        cells = replay(w, load_rows())
        print(f"\nfixture built in {built - started:.1f} s, {len(cells)} cells replayed in {time.monotonic() - built:.1f} s")
        yield cells, load_holes()
    finally:
        server.stop()
        if url:
            drop_postgres(url)


def test_role_matrix_on_sqlite() -> None:
    with replayed("sqlite") as (cells, holes):
        check_matrix(cells, holes)


def check_matrix(cells: list[Cell], holes: set[tuple[str, str, str, str]]) -> None:
    """Every cell decides as Zou does, and every hole is refused: any difference fails, named."""
    differing: dict[str, list[Cell]] = {}
    for cell in cells:
        kind = categorise(cell, holes)
        if kind is not None:
            differing.setdefault(kind, []).append(cell)
    counts = Counter({kind: len(found) for kind, found in differing.items()})
    lines = [f"{len(cells)} cells, {sum(counts.values())} differ from Zou:"]
    for kind, found in sorted(differing.items()):
        lines.append(f"  {kind}{' (security)' if kind in SECURITY else ''}: {len(found)}")
        for cell in found:
            lines.append(f"    {cell.row.method} {cell.row.routes[0]} {cell.row.variant} [{cell.role}]"
                         f" zou={cell.row.zou[cell.role]} foxtrack={cell.status}{'+' if cell.shows else ''}"
                         f" {cell.note[:100]!r}")
    per_role: Counter[tuple[str, str]] = Counter()
    for cell in cells:
        decision = "hole" if (*cell.row.key[:3], cell.role) in holes else ours(cell)
        per_role[cell.role, decision] += 1
    for role in ROLES:
        lines.append(f"  {role}: {sum(n for (r, _), n in per_role.items() if r == role)} cells, "
                     + ", ".join(f"{d} {per_role[role, d]}" for d in ("allow", "deny", "error", "hole")))
    print("\n" + "\n".join(lines))
    assert not differing, "\n".join(lines)
    assert len(cells) > 3900  # every row of the reference was sent

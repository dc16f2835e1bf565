"""A project's news feed (``data/projects/{id}/news``, the Kitsu UI's news page) over HTTP: the total,
the per-status counts of status changes, pages newest first, and the filters, on both backends."""

from __future__ import annotations

import uuid

import gazu


def _feed(project_id: str, query: str = "") -> dict:
    return gazu.client.get(f"data/projects/{project_id}/news?{query}")


def test_news_counts_pages_and_filters(client: object) -> None:
    project = gazu.project.new_project(f"News {uuid.uuid4().hex[:6]}", "tvshow")
    episode = gazu.shot.new_episode(project, "E01")
    other_episode = gazu.shot.new_episode(project, "E02")
    sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
    other_sequence = gazu.shot.new_sequence(project, "SQ02", episode=other_episode)
    shots = [gazu.shot.new_shot(project, sequence, "SH010"), gazu.shot.new_shot(project, other_sequence, "SH020")]
    anim, layout = gazu.task.get_task_type_by_name("Animation"), gazu.task.get_task_type_by_name("Layout")
    wip, retake = gazu.task.get_task_status_by_short_name("wip"), gazu.task.get_task_status_by_short_name("retake")
    tasks = {(i, tt["name"]): gazu.task.new_task(shot, tt) for i, shot in enumerate(shots) for tt in (anim, layout)}

    # 7 comments: 3 change the status to wip, 2 to retake, 2 keep the status they find
    gazu.task.add_comment(tasks[0, "Animation"], wip, "start")
    gazu.task.add_comment(tasks[0, "Animation"], wip, "still going")  # no change: wip already
    gazu.task.add_comment(tasks[0, "Layout"], wip, "start")
    gazu.task.add_comment(tasks[1, "Animation"], retake, "redo")
    gazu.task.add_comment(tasks[1, "Animation"], retake, "again")  # no change
    gazu.task.add_comment(tasks[1, "Layout"], wip, "start")
    gazu.task.add_comment(tasks[1, "Layout"], retake, "redo")

    feed = _feed(project["id"], "page=1&page_size=50")
    assert feed["total"] == 7 and len(feed["data"]) == 7 and feed["nb_pages"] == 1
    assert feed["stats"] == {wip["id"]: 3, retake["id"]: 2}
    stamps = [(n["created_at"], n["id"]) for n in feed["data"]]
    assert [s for s, _ in stamps] == sorted((s for s, _ in stamps), reverse=True)

    # pages of 3, newest first, together the whole feed exactly once
    pages = [_feed(project["id"], f"page={page}&page_size=3") for page in (1, 2, 3)]
    assert [len(p["data"]) for p in pages] == [3, 3, 1] and {p["nb_pages"] for p in pages} == {3}
    assert {p["total"] for p in pages} == {7}
    assert [n["id"] for p in pages for n in p["data"]] == [n["id"] for n in feed["data"]]

    # filters narrow the total and the stats alike
    by_type = _feed(project["id"], f"task_type_id={layout['id']}")
    assert by_type["total"] == 3 and by_type["stats"] == {wip["id"]: 2, retake["id"]: 1}
    by_status = _feed(project["id"], f"task_status_id={retake['id']}")
    assert by_status["total"] == 3 and by_status["stats"] == {retake["id"]: 2}
    by_episode = _feed(project["id"], f"episode_id={other_episode['id']}")
    assert by_episode["total"] == 4 and by_episode["stats"] == {wip["id"]: 1, retake["id"]: 2}
    assert {n["task_entity_id"] for n in by_episode["data"]} == {shots[1]["id"]}
    me = gazu.client.get("auth/authenticated")["user"]["id"]
    assert _feed(project["id"], f"person_id={me}")["total"] == 7

    # a deleted task takes its news with it: the counts follow
    gazu.task.remove_task(tasks[1, "Layout"])
    after = _feed(project["id"])
    assert after["total"] == 5 and after["stats"] == {wip["id"]: 2, retake["id"]: 1}
    assert tasks[1, "Layout"]["id"] not in {n["task_id"] for n in after["data"]}

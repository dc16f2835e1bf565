"""``data/tasks/open-tasks``: the stats count the tasks the pages list, for each filter (the counts
join only the tables a filter names, the page all of them)."""

from __future__ import annotations

import collections
import uuid

import gazu
import requests

from foxtrack.testing import RunningServer


def test_the_stats_count_what_the_pages_list(server: RunningServer, client: object) -> None:
    headers = {"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"}
    tag = uuid.uuid4().hex[:6]
    project = gazu.project.new_project(f"Open counts {tag}", "tvshow")
    department = gazu.client.post("data/departments", {"name": f"Dept {tag}", "color": "#123456"})
    lit = gazu.task.new_task_type(f"Lit {tag}", for_entity="Shot")
    gazu.client.put(f"data/task-types/{lit['id']}", {"department_id": department["id"]})
    anim = gazu.task.new_task_type(f"Anim {tag}", for_entity="Shot")
    for task_type in (lit, anim):
        gazu.project.add_task_type(project, task_type, 1)
    statuses = [s for s in gazu.task.all_task_statuses() if not s.get("is_done")][:2]
    done = next(s for s in gazu.task.all_task_statuses() if s.get("is_done"))
    episodes = [gazu.shot.new_episode(project, f"E{n:02d}") for n in (1, 2)]
    n = 0
    for episode in episodes:
        sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
        for k in range(3):
            shot = gazu.shot.new_shot(project, sequence, f"SH{k:03d}")
            for task_type in (lit, anim):
                status = done if n % 5 == 4 else statuses[n % 2]
                gazu.task.new_task(shot, task_type, task_status=status)
                n += 1

    def page(**filters: str) -> dict:
        answer = requests.get(f"{server.api}/data/tasks/open-tasks", headers=headers,
                              params={"project_id": project["id"], "limit": "100", **filters})
        assert answer.status_code == 200, answer.text
        return answer.json()

    cases = [{}, {"episode_id": episodes[0]["id"]}, {"department_id": department["id"]},
             {"task_type_id": anim["id"]}, {"episode_id": episodes[1]["id"], "department_id": department["id"]}]
    totals = []
    for filters in cases:
        body = page(**filters)
        listed = body["data"]
        assert not body["is_more"]
        assert body["stats"]["total"] == len(listed), filters
        per_status = collections.Counter(t["task_status_id"] for t in listed)
        assert {s["task_status_id"]: s["amount"] for s in body["stats"]["status"]} == dict(per_status), filters
        assert all(t["task_status_id"] != done["id"] for t in listed)
        if "episode_id" in filters:
            assert {t["episode_id"] for t in listed} == {filters["episode_id"]}
        if "department_id" in filters:
            assert {t["task_type_id"] for t in listed} == {lit["id"]}
        totals.append(len(listed))
    assert totals[0] == 10  # 12 tasks, 2 done
    assert totals[1] + page(episode_id=episodes[1]["id"])["stats"]["total"] == totals[0]
    assert 0 < totals[4] < totals[2] < totals[0]

"""The ``job`` table, the one queue of background work (``foxtrack.jobs``), and the work that was
waiting in the queues it replaces: movies still processing (their ``data.job`` now names the job),
playlist builds still running, webhook deliveries pending or retrying (with their attempts and the time
of their next try).

Revision ID: 0005
Revises: 0004
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from foxtrack.db.schema import metadata

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    job = metadata.tables["job"]
    metadata.create_all(bind, tables=[job], checkfirst=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    rows: list[dict[str, Any]] = []

    def queue(kind: str, target_id: str, max_attempts: int, attempts: int = 0, run_after: str | None = None) -> str:
        job_id = str(uuid.uuid4())
        rows.append({"id": job_id, "created_at": stamp, "updated_at": stamp, "kind": kind, "target_id": target_id,
                     "state": "queued", "attempts": attempts, "max_attempts": max_attempts,
                     "run_after": run_after or stamp, "payload": {}})
        return job_id

    if bind.execute(sa.select(sa.func.count()).select_from(job)).scalar():
        return  # the queue is already in use
    pf = metadata.tables["preview_file"]
    for preview_id, data in bind.execute(sa.select(pf.c.id, pf.c.data).where(pf.c.status == "processing")).all():
        old = data.get("job") if isinstance(data, dict) else None
        if isinstance(old, dict) and "id" not in old:
            job_id = queue("transcode", preview_id, 3, min(int(old.get("attempts") or 0), 2))
            bind.execute(pf.update().where(pf.c.id == preview_id).values(data={**data, "job": {"id": job_id}}))
    build = metadata.tables["build_job"]
    for (build_id,) in bind.execute(sa.select(build.c.id).where(build.c.status == "running")).all():
        queue("playlist-build", build_id, 3)
    delivery = metadata.tables["webhook_delivery"]
    for delivery_id, attempts, next_at in bind.execute(
            sa.select(delivery.c.id, delivery.c.attempts, delivery.c.next_attempt_at)
            .where(delivery.c.status.in_(("pending", "retrying")))).all():
        queue("webhook", delivery_id, 6, min(int(attempts or 0), 5), next_at)
    if rows:
        bind.execute(job.insert(), rows)


def downgrade() -> None:
    pass

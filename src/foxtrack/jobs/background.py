"""The worker of foxtrack's three kinds of background work, for ``foxtrack serve`` and ``foxtrack worker``."""

from __future__ import annotations

from foxtrack.core.context import AppState
from foxtrack.jobs import Worker

WEBHOOK_SLOTS = 4
MAIL_SLOTS = 2


def build_worker(state: AppState, media_slots: int, poll_seconds: float = 5.0) -> Worker:
    """The worker of this process: transcodes and playlist builds (``media_slots`` at a time, in as many
    pool processes) and webhook deliveries."""
    from foxtrack import mail
    from foxtrack.playlists import builds
    from foxtrack.previews import jobs as transcodes
    from foxtrack.webhooks import delivery

    kinds = [transcodes.kind(), builds.kind(), delivery.kind(state.settings.webhook_retry_seconds), mail.kind()]
    worker = Worker(state, kinds, {"media": media_slots, "webhooks": WEBHOOK_SLOTS, "mail": MAIL_SLOTS},
                    pool_size=media_slots,
                    poll_seconds=poll_seconds)
    state.extras["worker"] = worker  # what ``foxtrack.jobs.notify`` wakes
    return worker


def install(state: AppState) -> Worker:
    """This process records webhook deliveries and runs a worker from its start-up to its shutdown (no
    transcoding with ``FOXTRACK_MEDIA_WORKERS=0``: separate workers do it)."""
    from foxtrack.webhooks import delivery

    delivery.subscribe(state)
    worker = build_worker(state, max(state.settings.media_workers, 0))
    state.extras.setdefault("startup", []).append(worker.start)
    state.extras.setdefault("shutdown", []).append(worker.stop)
    return worker

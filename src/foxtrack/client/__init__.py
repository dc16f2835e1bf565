"""foxtrack.client: an entity API over gazu for pipeline tools (works with foxtrack and Zou).

It follows the ADM pipeline's conventions: records carry normalised names (``custom_data`` for
Kitsu's ``data``, ``nb_retakes`` for ``retake_count``, ``for_shots`` on task types, comment
``attachments``, checklist item ``id``\\ s and preview ``name``\\ s) and ids are accepted as a
string, a dict or a record (``get_id``).

Example::

    from foxtrack.client import Project

    project = Project.from_env()          # TRACKER_URL, TRACKER_LOGIN/PASSWORD, TRACKER_PROJECT
    shot = project.shots.get(name="sq170_sh0224")
    task = shot.tasks.fetch("Anim3D")
    task.comments.new(comment="Blocking", status="wfa", preview=["/tmp/frame.png"],
                      set_main_preview=True)
"""

from foxtrack.client._base import Comment, Person, Record, TaskStatus, TaskType
from foxtrack.client._collections import (
    AssetCollection,
    AssetTypeCollection,
    Collection,
    EpisodeCollection,
    PersonCollection,
    SequenceCollection,
    ShotCollection,
    TaskStatusCollection,
    TaskTypeCollection,
)
from foxtrack.client._connection import Connection
from foxtrack.client._entities import (
    Asset,
    AssetType,
    Casting,
    CastingLink,
    Entity,
    Episode,
    Sequence,
    Shot,
)
from foxtrack.client._errors import AmbiguousName, ConfigurationError, NotFound
from foxtrack.client._ids import get_id
from foxtrack.client._project import Project
from foxtrack.client._tasks import EntityTasks, Task, TaskComments

__all__ = [
    "AmbiguousName",
    "Asset",
    "AssetCollection",
    "AssetType",
    "AssetTypeCollection",
    "Casting",
    "CastingLink",
    "Collection",
    "Comment",
    "ConfigurationError",
    "Connection",
    "Entity",
    "EntityTasks",
    "Episode",
    "EpisodeCollection",
    "NotFound",
    "Person",
    "PersonCollection",
    "Project",
    "Record",
    "Sequence",
    "SequenceCollection",
    "Shot",
    "ShotCollection",
    "Task",
    "TaskComments",
    "TaskStatus",
    "TaskStatusCollection",
    "TaskType",
    "TaskTypeCollection",
    "get_id",
]

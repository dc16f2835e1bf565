"""The planning tables in the model registry, and their generic CRUD rules.

Importing this module registers ``/data/project-templates``, ``/data/budgets``,
``/data/budget-entries`` and ``/data/salary-scales`` with the generic CRUD; it must be imported
before ``foxtrack.crud.routes`` builds its model-name matcher (``planning.routes`` does so).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest
from foxtrack.core.models import MODELS, Model, Relation
from foxtrack.crud.policy import Policies
from foxtrack.db import schema as s

Row = dict[str, Any]

PROJECT_TEMPLATE = Model(
    "project-templates",
    s.project_template,
    "ProjectTemplate",
    relations={
        "task_types": Relation(s.project_template_task_type_link, "project_template_id", "task_type_id"),
        "task_statuses": Relation(s.project_template_task_status_link, "project_template_id", "task_status_id"),
        "asset_types": Relation(s.project_template_asset_type_link, "project_template_id", "asset_type_id"),
        "status_automations": Relation(
            s.project_template_status_automation_link, "project_template_id", "status_automation_id"
        ),
        "preview_background_files": Relation(
            s.project_template_preview_background_file_link, "project_template_id", "preview_background_file_id"
        ),
    },
)
TEMPLATE_TASK_TYPE_LINK = Model(
    "project-template-task-type-links", s.project_template_task_type_link, "ProjectTemplateTaskTypeLink"
)
TEMPLATE_TASK_STATUS_LINK = Model(
    "project-template-task-status-links", s.project_template_task_status_link, "ProjectTemplateTaskStatusLink"
)
BUDGET = Model("budgets", s.budget, "Budget")
BUDGET_ENTRY = Model("budget-entries", s.budget_entry, "BudgetEntry")
SALARY_SCALE = Model("salary-scales", s.salary_scale, "SalaryScale")

for _model in (PROJECT_TEMPLATE, BUDGET, BUDGET_ENTRY, SALARY_SCALE):
    MODELS.setdefault(_model.path, _model)

TEMPLATE_EXISTS = "A project template with this name already exists"


def check_template_name(tx: Tx, name: Any, exclude: str | None = None) -> None:
    """Template names are unique; Zou answers this 400 before the database would refuse."""
    t = s.project_template
    clauses = [t.c.name == name]
    if exclude is not None:
        clauses.append(t.c.id != exclude)
    if tx.conn.execute(sa.select(t.c.id).where(*clauses)).first() is not None:
        raise BadRequest(TEMPLATE_EXISTS, body={"message": TEMPLATE_EXISTS})


def _before_create_template(ctx: RequestContext, tx: Tx, values: Row) -> Row:
    check_template_name(tx, values.get("name"))
    if values.get("metadata_descriptors") is None:
        values["metadata_descriptors"] = []
    values["__relations__"] = {}
    return values


def _after_create_template(ctx: RequestContext, tx: Tx, row: Row, body: Row) -> Row:
    # Zou's creation answer carries no relation lists
    for name in PROJECT_TEMPLATE.relations:
        row.pop(name, None)
    return row


def _before_update_template(ctx: RequestContext, tx: Tx, current: Row, values: Row) -> Row:
    if "name" in values:
        check_template_name(tx, values["name"], exclude=current["id"])
    values["__relations__"] = {}
    return values


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register(
        "project-templates",
        read="manager",
        create="manager",
        update="manager",
        delete="manager",
        before_create=_before_create_template,
        after_create=_after_create_template,
        before_update=_before_update_template,
    )

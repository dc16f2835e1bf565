"""What a route reads from its request, found by following the code it calls.

Handlers read the raw request (``request.query_params``, a ``payload: JsonBody`` dict), so which
query parameters and body keys a route takes is written in its code and the code it calls, not in
its signature. These functions walk that code (by name or ``module.name``, a few calls deep) and
collect the string keys read with ``m.get("k")``, ``m.getlist("k")`` or ``m["k"]``. A heuristic:
good enough to document and to test every route, not a contract.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from foxtrack.core.models import Model

__all__ = [
    "FILTER_PARAMS",
    "PAGE_PARAMS",
    "QUERY_MAPPINGS",
    "BodyReads",
    "body_reads",
    "functions_reached",
    "params_read_by",
    "query_names",
    "read_keys",
]

# names of the mappings query parameters are read from (``request.query_params``, the dict a route
# hands to its service...)
QUERY_MAPPINGS = {"query_params", "params", "one", "args", "query", "options", "filters"}
# what the one filter compiler and the one page parser read
FILTER_PARAMS = {"name", "id", "project_id", "relations", "fields"}
PAGE_PARAMS = {"page", "limit"}
# the mapping a multipart form's text fields are read from (``storage.uploads.Form``)
FORM_MAPPINGS = {"fields"}


def read_keys(tree: ast.AST, mappings: Iterable[str] | None = None) -> set[str]:
    """String keys read with ``m.get("k")``, ``m.getlist("k")`` or ``m["k"]`` (from ``mappings``
    only when given)."""
    return _keys_in(ast.walk(tree), mappings)


def _keys_in(nodes: Iterable[ast.AST], mappings: Iterable[str] | None = None) -> set[str]:
    wanted = None if mappings is None else set(mappings)
    keys: set[str] = set()
    for node in nodes:
        target: ast.expr | None = None
        key: Any = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                and node.func.attr in ("get", "getlist", "pop") and isinstance(node.args[0], ast.Constant):
            target, key = node.func.value, node.args[0].value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            target, key = node.value, node.slice.value
        if not isinstance(key, str) or target is None:
            continue
        name = _name_of(target)
        if wanted is None or name in wanted:
            keys.add(key)
    return keys


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


@functools.cache
def _module(module_name: str) -> tuple[dict[int, ast.AST], frozenset[str]]:
    """The function definitions of a module, by the first line of their code object (the first
    decorator's line when decorated, else the ``def`` line), and the keys it reads from query
    mappings: one parse and one walk per module."""
    module = sys.modules.get(module_name)
    try:
        tree = ast.parse(inspect.getsource(module)) if module is not None else None
    except (OSError, SyntaxError, TypeError):
        tree = None
    nodes = list(ast.walk(tree)) if tree is not None else []
    found: dict[int, ast.AST] = {}
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.lineno] = node
            if node.decorator_list:
                found[node.decorator_list[0].lineno] = node
    return found, frozenset(_keys_in(nodes, QUERY_MAPPINGS))


def _module_functions(module_name: str) -> dict[int, ast.AST]:
    return _module(module_name)[0]


def _tree(fn: types.FunctionType) -> ast.AST | None:
    return _module_functions(fn.__module__).get(fn.__code__.co_firstlineno)


def _function(obj: Any) -> types.FunctionType | None:
    """The foxtrack function ``obj`` is (unwrapped), or None."""
    try:
        fn = inspect.unwrap(obj)
    except ValueError:
        return None
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("foxtrack"):
        return fn
    return None


@dataclass(frozen=True)
class _Facts:
    """What one function's code reads and calls, found in one walk of its tree."""

    tree: ast.AST
    keys: frozenset[str]  # string keys read from any mapping
    # foxtrack functions called, with the call and the models (core.models.Model) its arguments name
    calls: tuple[tuple[types.FunctionType, ast.Call, tuple[Any, ...]], ...]
    callees: tuple[types.FunctionType, ...]  # foxtrack functions named (called or passed on)
    tables: tuple[sa.Table, ...]  # tables named


@functools.cache
def _facts(fn: types.FunctionType) -> _Facts | None:
    tree = _tree(fn)
    if tree is None:
        return None
    nodes = list(ast.walk(tree))
    names = {**fn.__globals__, **_local_imports(nodes)}
    calls: list[tuple[types.FunctionType, ast.Call, tuple[Any, ...]]] = []
    callees: dict[types.FunctionType, None] = {}
    tables: dict[sa.Table, None] = {}
    for node in nodes:
        if not isinstance(node, ast.Name | ast.Attribute | ast.Call):
            continue
        if isinstance(node, ast.Call):
            callee = _function(_resolve(node.func, names))
            if callee is None and node.args and _function(_resolve(node.args[0], names)) is not None:
                # run_in_threadpool(fn, *args), asyncio.to_thread(fn, *args): a call of fn
                callee = _function(_resolve(node.args[0], names))
                node = ast.Call(func=node.args[0], args=node.args[1:], keywords=node.keywords)
            if callee is not None:
                named = (_resolve(arg, names) for arg in [*node.args, *(k.value for k in node.keywords)])
                calls.append((callee, node, tuple(m for m in named if isinstance(m, Model))))
            continue
        found = _resolve(node, names)
        if found is None:
            continue
        if isinstance(found, sa.Table):
            tables[found] = None
            continue
        callee = _function(found)
        if callee is not None:
            callees[callee] = None
    return _Facts(tree, frozenset(_keys_in(nodes)), tuple(calls), tuple(callees), tuple(tables))


@functools.cache
def _reached(endpoint: types.FunctionType, depth: int) -> tuple[types.FunctionType, ...]:
    seen: dict[types.FunctionType, None] = {}
    todo: list[tuple[types.FunctionType, int]] = [(endpoint, 0)]
    while todo:
        fn, level = todo.pop()
        if fn in seen:
            continue
        facts = _facts(fn)
        if facts is None:
            continue
        seen[fn] = None
        if level < depth:
            todo.extend((callee, level + 1) for callee in facts.callees)
    return tuple(seen)


def functions_reached(endpoint: Callable[..., Any], depth: int = 5) -> dict[types.FunctionType, ast.AST]:
    """foxtrack functions an endpoint calls (by name or ``module.name``), to ``depth`` calls deep."""
    fn = _function(endpoint)
    if fn is None:
        return {}
    out: dict[types.FunctionType, ast.AST] = {}
    for reached in _reached(fn, depth):
        facts = _facts(reached)
        if facts is not None:
            out[reached] = facts.tree
    return out


def _local_imports(nodes: Iterable[ast.AST]) -> dict[str, Any]:
    """Names bound by ``from foxtrack... import x`` inside a function (imports deferred for cycles)."""
    names: dict[str, Any] = {}
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("foxtrack"):
            try:
                module = importlib.import_module(str(node.module))
            except ImportError:
                continue
            for alias in node.names:
                found = getattr(module, alias.name, None)
                if found is None:
                    try:
                        found = importlib.import_module(f"{node.module}.{alias.name}")
                    except ImportError:
                        continue
                names[alias.asname or alias.name] = found
    return names


def _resolve(node: ast.AST, names: dict[str, Any]) -> Any:
    """What ``name`` or ``module.sub.name`` in a function's code refers to (None if not that)."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, names)
        if isinstance(owner, types.ModuleType):
            return getattr(owner, node.attr, None)
    return None


@functools.cache
def query_names() -> frozenset[str]:
    """Every query parameter name foxtrack's loaded code reads from a query mapping."""
    names = set(FILTER_PARAMS | PAGE_PARAMS)
    for name in [name for name in sys.modules if name.startswith("foxtrack")]:
        names |= _module(name)[1]
    return frozenset(names)


def params_read_by(endpoint: Callable[..., Any], known: Iterable[str] | None = None) -> set[str]:
    """The query parameters a route reads: the known names its code (and the code it calls) reads."""
    known_names = set(query_names() if known is None else known)
    names: set[str] = set()
    start = _function(endpoint)
    for fn in _reached(start, 5) if start is not None else ():
        facts = _facts(fn)
        if facts is not None:
            names |= facts.keys & known_names
        if fn.__name__ == "compile_filters":
            names |= FILTER_PARAMS
        if fn.__name__ in ("pagination", "query_int"):
            names |= PAGE_PARAMS
    return names


# ----------------------------------------------------------------------------- bodies

@dataclass
class BodyReads:
    """What a route reads from its body: the keys, the tables the code names (to type the keys from
    their columns) and the models the body is handed to whole (written as that model's row)."""

    keys: set[str] = field(default_factory=set)
    tables: list[sa.Table] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)
    form: bool = False  # a multipart form (``storage.uploads.received_form``)


def body_reads(endpoint: Callable[..., Any], param: str | None, depth: int = 5) -> BodyReads:
    """What the body handed to ``endpoint`` as ``param`` (or parsed in its code with ``json_body``)
    is read for, following it into the functions it is passed to (by position or keyword)."""
    out = BodyReads()
    seen: set[tuple[types.FunctionType, frozenset[str]]] = set()
    start = _function(endpoint)
    todo: list[tuple[types.FunctionType, frozenset[str], int]] = []
    for fn in _reached(start, 2) if start is not None else ():
        facts = _facts(fn)
        if fn is start or (facts is not None and any(c.__name__ in _PARSERS for c, _, _ in facts.calls)):
            todo.append((fn, frozenset({param} if param and fn is start else set()), 0))
        if fn.__name__ == "received_form":
            out.form = True
    while todo:
        fn, holders, level = todo.pop(0)
        if (fn, holders) in seen:
            continue
        seen.add((fn, holders))
        facts = _facts(fn)
        if facts is None:
            continue
        aliases = _aliases(facts.tree, set(holders))
        keys = read_keys(facts.tree, aliases | (_form_aliases(facts.tree) if out.form else set()))
        out.keys |= keys
        out.tables.extend(table for table in facts.tables if table not in out.tables)
        if level == depth:
            continue
        for callee, call, models in facts.calls:
            passed = _params_receiving(callee, call, aliases)
            if passed:
                out.models.extend(m for m in models if m not in out.models)
                todo.append((callee, frozenset(passed), level + 1))
    return out


_PARSERS = ("json_body", "json_any")


def _form_aliases(tree: ast.AST) -> set[str]:
    """Names a form's text fields are read from: ``form.fields`` and what it is assigned to."""
    names = set(FORM_MAPPINGS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute) and node.value.attr == "fields":
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _holds(node: ast.expr, aliases: set[str]) -> bool:
    """Whether ``node`` evaluates to the body (``payload``, ``payload or {}``, ``dict(payload)``...)."""
    if isinstance(node, ast.Name):
        return node.id in aliases
    if isinstance(node, ast.BoolOp):
        return any(_holds(v, aliases) for v in node.values)
    if isinstance(node, ast.Await):
        return _holds(node.value, aliases)
    if isinstance(node, ast.Call):
        func = node.func
        if _name_of(func) in _PARSERS:
            return True
        if isinstance(func, ast.Name) and func.id == "dict" and node.args:
            return _holds(node.args[0], aliases)
        if isinstance(func, ast.Attribute) and func.attr == "copy":
            return _holds(func.value, aliases)
    return False


def _aliases(tree: ast.AST, holders: set[str]) -> set[str]:
    """``holders`` and the local names the body is assigned to."""
    aliases = set(holders)
    for _ in range(3):
        before = len(aliases)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _holds(node.value, aliases):
                aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and node.value is not None and _holds(node.value, aliases) \
                    and isinstance(node.target, ast.Name):
                aliases.add(node.target.id)
        if len(aliases) == before:
            break
    return aliases


def _params_receiving(callee: types.FunctionType, call: ast.Call, aliases: set[str]) -> set[str]:
    """The parameter names of ``callee`` that ``call`` passes the body to."""
    code = callee.__code__
    positional = list(code.co_varnames[: code.co_argcount])
    passed: set[str] = set()
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break
        if index < len(positional) and _holds(arg, aliases):
            passed.add(positional[index])
    for keyword in call.keywords:
        if keyword.arg is not None and _holds(keyword.value, aliases):
            passed.add(keyword.arg)
    return passed

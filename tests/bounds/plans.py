"""Rows a PostgreSQL statement touches, from its plan: what tests assert instead of times."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every (statement, parameters) the engine sends while the block runs (SELECTs only)."""
    seen: list[tuple[str, Any]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", ()):
        yield from _walk(child)


def rows_touched(conn, statement: str, parameters: Any) -> tuple[int, list[str]]:
    """(rows read by the plan's scans, including those filtered out, over all loops; the relations scanned)."""
    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    total, relations = 0, []
    for node in _walk(plan[0]["Plan"]):
        if "Scan" in node["Node Type"]:
            # A bitmap index scan's rows are read again by the heap scan above it: counted there.
            loops = 0 if node["Node Type"] == "Bitmap Index Scan" else 1
            loops *= node.get("Actual Loops", 1)
            total += (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
            names = f"{node.get('Relation Name', '')} {node.get('Index Name', '')}"
            relations.append(f"{node['Node Type']} {names}".strip())
    return total, relations

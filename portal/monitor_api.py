"""Public JSON and partials of the supply event monitor: progress per deployment and discrepancies."""

from __future__ import annotations

# CONTRACT STUB (issue 4): the monitor work fills in its controllers and lists them here.
ROUTES: list = []

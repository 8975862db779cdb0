"""Public JSON and partials of mint-to-deposit reconciliation, and the admin link submission."""

from __future__ import annotations

# CONTRACT STUB (issue 4): the reconciliation work fills in its controllers and lists them here.
ROUTES: list = []

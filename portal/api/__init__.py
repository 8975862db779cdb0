"""The JSON API under /api/v1 and /admin/v1, and the dashboard partials of each area."""

"""Read models and services behind the JSON API and the dashboard (from the database only)."""

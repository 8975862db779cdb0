"""The supply event monitor: replays token logs into the database, follows reorgs, checks the running supply."""

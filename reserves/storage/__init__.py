"""Storage: SQLModel tables, the one repository module that holds SQL, and migrations."""

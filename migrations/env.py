"""Alembic environment: migrations run on a synchronous connection made from the configured URL."""

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

from reserves.storage import (  # noqa: F401  (registers the tables on SQLModel.metadata)
    admin_key_models,
    engine_models,
    models,
    monitor_models,
    price_models,
    provider_models,
    reconcile_models,
    supply_models,
    supply_series_models,
    webhook_models,
    worker_models,
)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

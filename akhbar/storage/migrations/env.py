"""Alembic environment: runs akhbar's migrations on the given connection/URL."""

from alembic import context
from sqlalchemy import create_engine, pool

from akhbar.storage.schema import metadata

config = context.config
target_metadata = metadata

# Tables managed by hand-written migrations only (engine-specific search
# indexes: FTS5 on SQLite, tsvector on PostgreSQL), not by the metadata.
UNMANAGED_PREFIXES = ("article_search",)


def include_name(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name and name.startswith(UNMANAGED_PREFIXES))


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
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    # SQLite cannot ALTER most things: batch mode rebuilds tables instead.
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True, include_name=include_name
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Alembic environment: migrate the app's database with its own engine."""

import logging

import sqlalchemy as sa
from alembic import context
from flask import current_app

log = logging.getLogger("alembic.env")
config = context.config

# The URL is only used for offline (--sql) mode; online mode reuses the app's engine.
engine = current_app.extensions["migrate"].db.engine
config.set_main_option(
    "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
)
target_metadata = current_app.extensions["migrate"].db.metadata
# Any fixed number, the same in every instance: the key of the upgrade's advisory lock.
MIGRATION_LOCK = 7_420_420


def run_migrations_offline() -> None:
    """Print the SQL instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations against the live database."""

    def skip_empty(context, revision, directives):  # noqa: ANN001
        # An autogenerate run that found nothing should not leave an empty file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")

    def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
        # Full-text search (migration 0008) is SQL the models do not declare: FTS5 tables
        # on SQLite, expression indexes on PostgreSQL, all named search_*.
        return not (type_ in ("table", "index") and (name or "").startswith("search_"))

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty)
    conf_args.setdefault("include_name", include_name)
    conf_args.setdefault("render_as_batch", True)
    with engine.connect() as connection:
        locked = connection.dialect.name == "postgresql"
        if locked:
            # Several instances starting at once (Compose scale, ECS, Cloud Run) each run
            # the upgrade; the lock lets one migrate while the others wait, then find
            # nothing left to do.
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if locked:
                # A pooled connection outlives this block; the lock must not.
                connection.rollback()
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                )
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

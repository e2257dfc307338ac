"""Alembic environment: runs orbcore's migrations on the connection it is given."""

from alembic import context

from orbcore.storage.sql._tables import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=config.get_main_option("version_table") or "orbcore_schema_version",
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

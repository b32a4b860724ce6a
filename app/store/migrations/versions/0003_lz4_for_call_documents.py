"""lz4 compression for the calls' transcript and result documents (PostgreSQL)

PostgreSQL compresses each stored document of some kilobytes. With lz4 instead of its
default, pglz, the server's CPU per stored call was 0.14-0.34 ms lower
(`python -m benchmarks.store` against `--pglz`). It applies to rows written from now on; rows
already stored keep their compression and read back as before. A server built without lz4
keeps pglz, with a warning. SQLite: nothing to do.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:10:00
"""
import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_COLUMNS = ("transcript", "result")


def _set_compression(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    alter = "ALTER TABLE calls " + ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in _COLUMNS)
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(alter)
    except DBAPIError as exc:  # e.g. "compression method lz4 not supported" (built without lz4)
        logging.getLogger("callqa").warning("calls documents stay compressed with pglz: %s", str(exc.orig).strip())


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("default")

"""Trust (h11, #11): failed-attempt counters, punch key ids, room for sealed secrets.

Revision ID: 0006_trust
Revises: 0005_nonces
Create Date: 2026-12-01

``rate_limits`` holds failed attempts per client address (server_stub/limits.py), shared by
every server process. ``punches.kid`` keeps the key id of a punch's badge now that the
bearer token is no longer stored. ``terminals.secret`` grows to hold an AES-GCM sealed
secret (server_stub/secretbox.py; the server seals any plain one at its next start).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_trust"
down_revision = "0005_nonces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "rate_limits" not in have:
        op.create_table(
            "rate_limits",
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("window_start", sa.Float(), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("punches")}
    with op.batch_alter_table("punches") as batch:
        if "kid" not in columns:
            batch.add_column(sa.Column("kid", sa.String(length=16), nullable=True))
    with op.batch_alter_table("terminals") as batch:
        batch.alter_column("secret", existing_type=sa.String(length=64),
                           type_=sa.String(length=200), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("terminals") as batch:
        batch.alter_column("secret", existing_type=sa.String(length=200),
                           type_=sa.String(length=64), existing_nullable=True)
    with op.batch_alter_table("punches") as batch:
        batch.drop_column("kid")
    op.drop_table("rate_limits")

"""the index's change log

Revision ID: b19a01c2d3e4
Revises: b18a01c2d3e4
Create Date: 2026-12-03 21:55:00

Every edit to the search index after its last published base is one row of
``index_changes`` (matching.models): the documents it adds or replaces, with their
vectors, and the ids it drops. Web and worker processes apply the rows newer than their
base instead of reloading a whole new version for each edit.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b19a01c2d3e4"
down_revision = "b18a01c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "index_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=40), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_changes")),
        sqlite_autoincrement=True,
    )


def downgrade():
    op.drop_table("index_changes")

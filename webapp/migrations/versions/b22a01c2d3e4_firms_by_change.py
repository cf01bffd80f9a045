"""firms by change

Revision ID: b22a01c2d3e4
Revises: b21a01c2d3e4
Create Date: 2026-12-04 15:00:00

The directory keeps its filter lists until the catalogue changes; the newest change
of any firm (``max(updated_at)``) is read on every search, in one step of this index.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "b22a01c2d3e4"
down_revision = "b21a01c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_firms_updated_at", "firms", ["updated_at"])


def downgrade():
    op.drop_index("ix_firms_updated_at", table_name="firms")

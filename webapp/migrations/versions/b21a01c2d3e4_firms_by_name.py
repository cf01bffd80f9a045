"""firms by name

Revision ID: b21a01c2d3e4
Revises: b20a01c2d3e4
Create Date: 2026-12-04 11:50:00

The directory lists suppliers by name a page at a time; an index on ``name_vi`` lets
the database read the first rows in order instead of sorting every firm per page.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "b21a01c2d3e4"
down_revision = "b20a01c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_firms_name_vi", "firms", ["name_vi"])


def downgrade():
    op.drop_index("ix_firms_name_vi", table_name="firms")

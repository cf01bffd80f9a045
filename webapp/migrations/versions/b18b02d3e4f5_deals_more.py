"""reserved: a further change to the deal tables

Revision ID: b18b02d3e4f5
Revises: b18a01c2d3e4
Create Date: 2026-12-03 18:00:00.000000
"""

# revision identifiers, used by Alembic.
revision = "b18b02d3e4f5"
down_revision = "b18a01c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

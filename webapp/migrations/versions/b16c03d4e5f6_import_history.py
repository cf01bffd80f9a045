"""survey imports: history per province

Revision ID: b16c03d4e5f6
Revises: b16b02c3d4e5
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b16c03d4e5f6'
down_revision = 'b16b02c3d4e5'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

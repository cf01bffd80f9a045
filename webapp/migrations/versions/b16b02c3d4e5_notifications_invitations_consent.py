"""notifications, claim invitations and consent recorded by officers

Revision ID: b16b02c3d4e5
Revises: b16a01a2b3c4
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b16b02c3d4e5'
down_revision = 'b16a01a2b3c4'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

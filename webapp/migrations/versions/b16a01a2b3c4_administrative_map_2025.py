"""the 2025 administrative map: current units, former provinces, reference data

Revision ID: b16a01a2b3c4
Revises: a7e2c4d91b3f
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b16a01a2b3c4'
down_revision = 'a7e2c4d91b3f'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

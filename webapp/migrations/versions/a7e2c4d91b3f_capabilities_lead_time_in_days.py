"""capabilities: lead time in days

Revision ID: a7e2c4d91b3f
Revises: 5b0d3e7a9c21
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e2c4d91b3f'
down_revision = '5b0d3e7a9c21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('capabilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_time_days', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('capabilities', schema=None) as batch_op:
        batch_op.drop_column('lead_time_days')

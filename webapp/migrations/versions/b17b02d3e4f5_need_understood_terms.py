"""hard terms of a need's text the buyer removed

Revision ID: b17b02d3e4f5
Revises: b17a01c2d3e4
Create Date: 2026-12-03 15:00:00.000000

Hard terms typed in a need's title or description (a certificate, a material grade, a
tolerance…) become requirements (``matching.query_terms``); the keys of those the buyer
removed from "Understood: …" are kept on the need (needs.dismissed_terms, a JSON list,
empty for existing needs).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b17b02d3e4f5"
down_revision = "b17a01c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dismissed_terms", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade():
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_column("dismissed_terms")

"""cached renderings of a text in another language

Revision ID: b17a01c2d3e4
Revises: b16b02c3d4e5
Create Date: 2026-12-03 15:00:00.000000

One new table, ``translations``: a machine rendering (the built-in gloss or a
deployment's own provider) per provider, language pair and text digest, so each text
is rendered once (catalog.translations).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b17a01c2d3e4"
down_revision = "b16b02c3d4e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=120), nullable=False),
        sa.Column("source_lang", sa.String(length=10), nullable=False),
        sa.Column("target_lang", sa.String(length=10), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("rendering", sa.Text(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translations")),
        sa.UniqueConstraint(
            "provider", "source_lang", "target_lang", "digest", name="uq_translations_key"
        ),
    )


def downgrade():
    op.drop_table("translations")

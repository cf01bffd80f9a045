"""index bases shipped through the database

Revision ID: b19b02c3d4e5
Revises: b19a01c2d3e4
Create Date: 2026-12-03 22:20:00

With ``INDEX_SHARING=database`` the worker copies each published base of the search
index (matching.shipping) into ``index_version_files`` in chunks of a few MB, and marks
it current in ``index_versions``; web machines copy it into their own index folder.
On PostgreSQL the chunks are stored EXTERNAL: out of line, uncompressed (float vectors
and hashed arrays do not compress, and trying costs CPU on every write and read).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b19b02c3d4e5"
down_revision = "b19a01c2d3e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "index_versions",
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_index_versions")),
    )
    op.create_index(op.f("ix_index_versions_current"), "index_versions", ["current"], unique=False)
    op.create_table(
        "index_version_files",
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["index_versions.version"],
            name=op.f("fk_index_version_files_version_index_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version", "name", "chunk", name=op.f("pk_index_version_files")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE index_version_files ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table("index_version_files")
    op.drop_index(op.f("ix_index_versions_current"), table_name="index_versions")
    op.drop_table("index_versions")

"""claims on firms: registering with a tax code the catalogue holds asks its officers

Revision ID: c1a7e5f09b34
Revises: b28f917d31be
Create Date: 2026-11-28 12:00:00.000000

A new table only. Chained after the sessions revision so that the tree has one head
(its own change needs nothing of that revision: it may
equally follow d4699481836b).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c1a7e5f09b34"
down_revision = "b28f917d31be"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "firm_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "rejected",
                name="claimstatus",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("removed_users", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_firm_claims_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_firm_claims_firm_id_firms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_firm_claims_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_claims")),
    )
    with op.batch_alter_table("firm_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_claims_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_firm_claims_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_firm_claims_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("firm_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firm_claims_user_id"))
        batch_op.drop_index(batch_op.f("ix_firm_claims_status"))
        batch_op.drop_index(batch_op.f("ix_firm_claims_firm_id"))

    op.drop_table("firm_claims")

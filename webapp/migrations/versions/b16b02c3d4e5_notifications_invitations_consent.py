"""notifications, claim invitations and consent recorded by officers

Revision ID: b16b02c3d4e5
Revises: b16a01a2b3c4
Create Date: 2026-12-03 12:00:00.000000

Two new tables (notifications, claim_invitations), the consent an officer records on a
firm's behalf (four columns of introductions) and each user's choice of immediate mails
or a daily digest (users.mail_mode, "immediate" for existing accounts).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b16b02c3d4e5"
down_revision = "b16a01a2b3c4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)

    op.create_table(
        "claim_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("introduction_id", sa.Integer(), nullable=True),
        sa.Column("despite_users", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_claim_invitations_firm_id_firms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_claim_invitations_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["introduction_id"],
            ["introductions.id"],
            name=op.f("fk_claim_invitations_introduction_id_introductions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_claim_invitations_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_invitations")),
        sa.UniqueConstraint("nonce", name=op.f("uq_claim_invitations_nonce")),
    )
    with op.batch_alter_table("claim_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_invitations_firm_id"), ["firm_id"], unique=False)

    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("consent_method", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("consent_note", sa.String(length=1000), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mail_mode", sa.String(length=10), nullable=False, server_default="immediate")
        )


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch operation would rebuild ``users``
    # and ``introductions``, and with foreign keys on, dropping the old table deletes
    # the rows that reference it by cascade.
    op.drop_column("users", "mail_mode")
    for column in ("consent_note", "consent_method", "consent_at", "consent_by"):
        op.drop_column("introductions", column)
    with op.batch_alter_table("claim_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_invitations_firm_id"))
    op.drop_table("claim_invitations")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read")
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
    op.drop_table("notifications")

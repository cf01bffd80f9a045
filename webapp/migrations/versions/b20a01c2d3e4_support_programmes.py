"""support programmes

Revision ID: b20a01c2d3e4
Revises: b19b02c3d4e5
Create Date: 2026-12-04 03:35:13

A province's support programmes (catalog.models.programmes): programmes, their support
lines with eligibility, yearly budgets by source and counted targets, firms'
applications with their assessment, payments, evidence and result.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b20a01c2d3e4"
down_revision = "b19b02c3d4e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.Column("start_year", sa.SmallInteger(), nullable=False),
        sa.Column("end_year", sa.SmallInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_programmes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_programmes_province_id_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
    )
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programmes_province_id"), ["province_id"], unique=False
        )

    op.create_table(
        "support_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "training",
                "consulting",
                "management_system",
                "technology_transfer",
                "trial_production",
                "fair",
                "promotion",
                "expert",
                "market_information",
                name="supportkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("share_pct", sa.SmallInteger(), nullable=False),
        sa.Column("ceiling_vnd", sa.BigInteger(), nullable=True),
        sa.Column("sizes", sa.JSON(), nullable=False),
        sa.Column("former_province_id", sa.Integer(), nullable=True),
        sa.Column("standards", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="linestatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["former_province_id"],
            ["former_provinces.id"],
            name=op.f("fk_support_lines_former_province_id_former_provinces"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_support_lines_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_lines")),
    )
    with op.batch_alter_table("support_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_lines_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "support_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("gap", sa.String(length=120), nullable=False),
        sa.Column("cost_vnd", sa.BigInteger(), nullable=True),
        sa.Column("requested_vnd", sa.BigInteger(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                "completed",
                "withdrawn",
                name="applicationstatus",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("applied_by_id", sa.Integer(), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("approved_vnd", sa.BigInteger(), nullable=True),
        sa.Column("reject_reason", sa.String(length=1000), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("result_note", sa.Text(), nullable=False),
        sa.Column("workers_trained", sa.Integer(), nullable=True),
        sa.Column("certification_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applied_by_id"],
            ["users.id"],
            name=op.f("fk_support_applications_applied_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_support_applications_certification_id_certifications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_support_applications_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_support_applications_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_support_applications_firm_id_firms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["support_lines.id"],
            name=op.f("fk_support_applications_line_id_support_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_applications")),
    )
    with op.batch_alter_table("support_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_applications_firm_id"), ["firm_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_applications_line_id"), ["line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_applications_status"), ["status"], unique=False
        )

    op.create_table(
        "support_budgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "central", "provincial", "firms", name="fundingsource", native_enum=False, length=12
            ),
            nullable=False,
        ),
        sa.Column("planned_vnd", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["support_lines.id"],
            name=op.f("fk_support_budgets_line_id_support_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_budgets")),
        sa.UniqueConstraint("line_id", "year", "source", name=op.f("uq_support_budgets_line_id")),
    )
    with op.batch_alter_table("support_budgets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_budgets_line_id"), ["line_id"], unique=False)

    op.create_table(
        "support_line_processes",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["concepts.id"],
            name=op.f("fk_support_line_processes_concept_id_concepts"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["support_lines.id"],
            name=op.f("fk_support_line_processes_line_id_support_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("line_id", "concept_id", name=op.f("pk_support_line_processes")),
    )
    op.create_table(
        "support_line_sectors",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["concepts.id"],
            name=op.f("fk_support_line_sectors_concept_id_concepts"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["support_lines.id"],
            name=op.f("fk_support_line_sectors_line_id_support_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("line_id", "concept_id", name=op.f("pk_support_line_sectors")),
    )
    op.create_table(
        "support_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column(
            "measure",
            sa.Enum(
                "firms_supported",
                "firms_completed",
                "workers_trained",
                "certifications",
                name="targetmeasure",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["support_lines.id"],
            name=op.f("fk_support_targets_line_id_support_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_targets")),
    )
    with op.batch_alter_table("support_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_targets_line_id"), ["line_id"], unique=False)

    op.create_table(
        "support_disbursements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "central", "provincial", "firms", name="fundingsource", native_enum=False, length=12
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["support_applications.id"],
            name=op.f("fk_support_disbursements_application_id_support_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_support_disbursements_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_disbursements")),
    )
    with op.batch_alter_table("support_disbursements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_disbursements_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "support_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["support_applications.id"],
            name=op.f("fk_support_files_application_id_support_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_support_files_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_files")),
    )
    with op.batch_alter_table("support_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_files_application_id"), ["application_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("support_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_files_application_id"))

    op.drop_table("support_files")
    with op.batch_alter_table("support_disbursements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_disbursements_application_id"))

    op.drop_table("support_disbursements")
    with op.batch_alter_table("support_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_targets_line_id"))

    op.drop_table("support_targets")
    op.drop_table("support_line_sectors")
    op.drop_table("support_line_processes")
    with op.batch_alter_table("support_budgets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_budgets_line_id"))

    op.drop_table("support_budgets")
    with op.batch_alter_table("support_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_applications_status"))
        batch_op.drop_index(batch_op.f("ix_support_applications_line_id"))
        batch_op.drop_index(batch_op.f("ix_support_applications_firm_id"))

    op.drop_table("support_applications")
    with op.batch_alter_table("support_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_lines_programme_id"))

    op.drop_table("support_lines")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_province_id"))

    op.drop_table("programmes")

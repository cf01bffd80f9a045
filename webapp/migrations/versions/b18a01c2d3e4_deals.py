"""from match to deal: answers, quotes, requests for quotation, orders and ratings

Revision ID: b18a01c2d3e4
Revises: b17b02d3e4f5
Create Date: 2026-12-03 17:40:45.705881

New tables for one need and one supplier's way to a purchase order
(catalog.models.deals): deals and their dated steps, messages, quotes (with the
capabilities and certifications they rest on), requests for quotation and their
recipients, attached files, purchase orders (with their part families) and supplier
ratings. match_judgements.outcome widens to hold the deal stages as judgements.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b18a01c2d3e4"
down_revision = "b17b02d3e4f5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_on", sa.Date(), nullable=False),
        sa.Column("closed_reason", sa.String(length=16), nullable=True),
        sa.Column("officers_asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("officers_asked_by_id", sa.Integer(), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["firms.id"], name=op.f("fk_deals_buyer_id_firms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_deals_need_id_needs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["officers_asked_by_id"],
            ["users.id"],
            name=op.f("fk_deals_officers_asked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["firms.id"],
            name=op.f("fk_deals_supplier_id_firms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("need_id", "supplier_id", name=op.f("uq_deals_need_id")),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deals_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deals_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deals_stage"), ["stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_deals_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "quote_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("nda_text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_quote_requests_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["needs.id"],
            name=op.f("fk_quote_requests_need_id_needs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_requests")),
    )
    with op.batch_alter_table("quote_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_requests_need_id"), ["need_id"], unique=False)

    op.create_table(
        "deal_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_deal_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_messages_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_messages")),
    )
    with op.batch_alter_table("deal_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_messages_deal_id"), ["deal_id"], unique=False)

    op.create_table(
        "deal_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("first_article", sa.Boolean(), nullable=False),
        sa.Column("ppap_level", sa.SmallInteger(), nullable=True),
        sa.Column("close_reason", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_steps_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_deal_steps_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_steps")),
        sa.UniqueConstraint(
            "deal_id", "stage", "source", "ref_id", name=op.f("uq_deal_steps_deal_id")
        ),
    )
    with op.batch_alter_table("deal_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_steps_deal_id"), ["deal_id"], unique=False)

    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("value_vnd", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_purchase_orders_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_purchase_orders_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_orders_deal_id"), ["deal_id"], unique=False)

    op.create_table(
        "quote_request_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("nda_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("nda_accepted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_quote_request_recipients_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["nda_accepted_by_id"],
            ["users.id"],
            name=op.f("fk_quote_request_recipients_nda_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["quote_requests.id"],
            name=op.f("fk_quote_request_recipients_request_id_quote_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["firms.id"],
            name=op.f("fk_quote_request_recipients_supplier_id_firms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_request_recipients")),
        sa.UniqueConstraint(
            "request_id", "supplier_id", name=op.f("uq_quote_request_recipients_request_id")
        ),
    )
    with op.batch_alter_table("quote_request_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quote_request_recipients_deal_id"), ["deal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quote_request_recipients_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quote_request_recipients_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unit_price_vnd", sa.BigInteger(), nullable=True),
        sa.Column("min_order_qty", sa.Integer(), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("capacity_per_month", sa.Integer(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decline_reason", sa.String(length=16), nullable=True),
        sa.Column("decline_note", sa.String(length=1000), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_quotes_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_quotes_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["quote_requests.id"],
            name=op.f("fk_quotes_request_id_quote_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotes_deal_id"), ["deal_id"], unique=False)

    op.create_table(
        "supplier_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.Column("on_time", sa.SmallInteger(), nullable=False),
        sa.Column("communication", sa.SmallInteger(), nullable=False),
        sa.Column("ppm", sa.Float(), nullable=True),
        sa.Column("on_time_pct", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["firms.id"],
            name=op.f("fk_supplier_ratings_buyer_id_firms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_supplier_ratings_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rated_by_id"],
            ["users.id"],
            name=op.f("fk_supplier_ratings_rated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["firms.id"],
            name=op.f("fk_supplier_ratings_supplier_id_firms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_ratings")),
        sa.UniqueConstraint("deal_id", name=op.f("uq_supplier_ratings_deal_id")),
    )
    with op.batch_alter_table("supplier_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_ratings_buyer_id"), ["buyer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supplier_ratings_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "deal_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("quote_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_files_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["deal_messages.id"],
            name=op.f("fk_deal_files_message_id_deal_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_deal_files_need_id_needs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_deal_files_quote_id_quotes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_deal_files_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_files")),
    )
    with op.batch_alter_table("deal_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_files_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deal_files_need_id"), ["need_id"], unique=False)

    op.create_table(
        "purchase_order_parts",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["concepts.id"],
            name=op.f("fk_purchase_order_parts_concept_id_concepts"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_parts_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "concept_id", name=op.f("pk_purchase_order_parts")),
    )
    op.create_table(
        "quote_capabilities",
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_quote_capabilities_capability_id_capabilities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_quote_capabilities_quote_id_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("quote_id", "capability_id", name=op.f("pk_quote_capabilities")),
    )
    op.create_table(
        "quote_certifications",
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_quote_certifications_certification_id_certifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_quote_certifications_quote_id_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "quote_id", "certification_id", name=op.f("pk_quote_certifications")
        ),
    )
    with op.batch_alter_table("match_judgements", schema=None) as batch_op:
        batch_op.alter_column(
            "outcome",
            existing_type=sa.String(length=12),
            type_=sa.String(length=16),
            existing_nullable=False,
        )


def downgrade():
    with op.batch_alter_table("match_judgements", schema=None) as batch_op:
        batch_op.alter_column(
            "outcome",
            existing_type=sa.String(length=16),
            type_=sa.VARCHAR(length=12),
            existing_nullable=False,
        )

    op.drop_table("quote_certifications")
    op.drop_table("quote_capabilities")
    op.drop_table("purchase_order_parts")
    with op.batch_alter_table("deal_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_files_need_id"))
        batch_op.drop_index(batch_op.f("ix_deal_files_deal_id"))

    op.drop_table("deal_files")
    with op.batch_alter_table("supplier_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_ratings_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_ratings_buyer_id"))

    op.drop_table("supplier_ratings")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotes_deal_id"))

    op.drop_table("quotes")
    with op.batch_alter_table("quote_request_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_request_recipients_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_quote_request_recipients_request_id"))
        batch_op.drop_index(batch_op.f("ix_quote_request_recipients_deal_id"))

    op.drop_table("quote_request_recipients")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_orders_deal_id"))

    op.drop_table("purchase_orders")
    with op.batch_alter_table("deal_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_steps_deal_id"))

    op.drop_table("deal_steps")
    with op.batch_alter_table("deal_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_messages_deal_id"))

    op.drop_table("deal_messages")
    with op.batch_alter_table("quote_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_requests_need_id"))

    op.drop_table("quote_requests")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deals_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_deals_stage"))
        batch_op.drop_index(batch_op.f("ix_deals_need_id"))
        batch_op.drop_index(batch_op.f("ix_deals_buyer_id"))

    op.drop_table("deals")

"""the 2025 administrative map: current units, former provinces, reference data

Revision ID: b16a01a2b3c4
Revises: a7e2c4d91b3f
Create Date: 2026-12-03 12:00:00.000000

Since 1 July 2025 (Resolution 202/2025/QH15) Vietnam has 34 provincial-level units
instead of 63. This revision adds the former provinces (each inside the unit that absorbed
it), a firm's and a zone's former province, and loads the reference data (units, former
provinces, zones, the bilingual taxonomy): after the migrations alone a new installation
can register firms and import surveys. Existing rows move to the new structure: a province
row whose code is a former province absorbed by another unit (TB, VP, HD, BG, BD in the
demo) hands everything that points at it to the current unit, keeping the former province
on firms and zones, and is then deleted. Nothing is lost.

Downgrade drops the schema additions only: the moved data stays in the current units (the
former province of each firm is dropped with its column), and the province rows of the old
map are not recreated.
"""
import sqlalchemy as sa
from alembic import op

from catalog.reference_data import load_reference_data, province_data

# revision identifiers, used by Alembic.
revision = 'b16a01a2b3c4'
down_revision = 'a7e2c4d91b3f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'former_provinces',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('name_vi', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=100), nullable=False),
        sa.Column('province_id', sa.Integer(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('aliases', sa.JSON(), nullable=False),
        sa.Column('places', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ['province_id'],
            ['provinces.id'],
            name=op.f('fk_former_provinces_province_id_provinces'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_former_provinces')),
        sa.UniqueConstraint('code', name=op.f('uq_former_provinces_code')),
    )
    with op.batch_alter_table('former_provinces', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_former_provinces_province_id'), ['province_id'], unique=False
        )

    for table in ('industrial_zones', 'firms'):
        _add_former_province_id(table)

    conn = op.get_bind()
    load_reference_data(conn)
    _move_to_current_units(conn)


def _add_former_province_id(table):
    """Add ``former_province_id`` (FK former_provinces.id) to ``table``.

    On SQLite the column and its foreign key come in one ALTER TABLE ADD COLUMN: a batch
    ``create_foreign_key`` would recreate the table, and dropping the old ``firms`` with
    foreign keys enforced cascades to every capability and certification of every firm.
    """
    fk = f'fk_{table}_former_province_id_former_provinces'
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            f'ALTER TABLE {table} ADD COLUMN former_province_id INTEGER '
            f'CONSTRAINT {fk} REFERENCES former_provinces (id)'
        )
        op.create_index(
            f'ix_{table}_former_province_id', table, ['former_province_id'], unique=False
        )
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('former_province_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f(f'ix_{table}_former_province_id'), ['former_province_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f(fk), 'former_provinces', ['former_province_id'], ['id']
        )


def _move_to_current_units(conn):
    """Hand every row of an absorbed province to the unit that absorbed it.

    Province rows of the old map whose code is a former province now inside a unit of
    another code (VP inside PT) are emptied and deleted; each table with a foreign key to
    ``provinces`` (found by reflection, so that none is forgotten) is repointed, pairs of
    association tables without duplicates. Firms and zones keep the former province. Rows
    of the surviving units get the former province of the same code. A province row that
    is on neither map is left alone.
    """
    current = {p['code'] for p in province_data()}
    formers = {
        code: (former_id, province_id)
        for former_id, code, province_id in conn.execute(
            sa.text('SELECT id, code, province_id FROM former_provinces')
        )
    }
    rows = conn.execute(sa.text('SELECT id, code FROM provinces')).all()
    references = _references_to_provinces(conn)
    for old_id, code in rows:
        if code in current or code not in formers:
            continue
        former_id, new_id = formers[code]
        ids = {'old': old_id, 'new': new_id, 'former': former_id}
        conn.execute(
            sa.text(
                'UPDATE firms SET former_province_id = :former '
                'WHERE province_id = :old AND former_province_id IS NULL'
            ),
            ids,
        )
        _merge_zones(conn, ids)
        for table, column, others in references:
            if others:  # an association table: the pair may already exist
                same = ' AND '.join(f'o.{c} = {table}.{c}' for c in others)
                conn.execute(
                    sa.text(
                        f'DELETE FROM {table} WHERE {column} = :old AND EXISTS '
                        f'(SELECT 1 FROM {table} o WHERE o.{column} = :new AND {same})'
                    ),
                    ids,
                )
            conn.execute(
                sa.text(f'UPDATE {table} SET {column} = :new WHERE {column} = :old'), ids
            )
        conn.execute(sa.text('DELETE FROM provinces WHERE id = :old'), ids)
    for code, (former_id, province_id) in formers.items():
        if code not in current:
            continue
        ids = {'former': former_id, 'unit': province_id}
        for table in ('firms', 'industrial_zones'):
            conn.execute(
                sa.text(
                    f'UPDATE {table} SET former_province_id = :former '
                    'WHERE province_id = :unit AND former_province_id IS NULL'
                ),
                ids,
            )


def _merge_zones(conn, ids):
    """Move the absorbed province's zones into the unit; one the map already loaded there
    under the same name takes its firms instead."""
    zones = conn.execute(
        sa.text('SELECT id, name FROM industrial_zones WHERE province_id = :old'), ids
    ).all()
    for zone_id, name in zones:
        same = conn.execute(
            sa.text('SELECT id FROM industrial_zones WHERE province_id = :new AND name = :name'),
            {**ids, 'name': name},
        ).scalar()
        if same is None:
            conn.execute(
                sa.text(
                    'UPDATE industrial_zones SET province_id = :new, '
                    'former_province_id = COALESCE(former_province_id, :former) WHERE id = :zone'
                ),
                {**ids, 'zone': zone_id},
            )
            continue
        conn.execute(
            sa.text('UPDATE firms SET zone_id = :same WHERE zone_id = :zone'),
            {'same': same, 'zone': zone_id},
        )
        conn.execute(
            sa.text(
                'UPDATE industrial_zones SET former_province_id = :former '
                'WHERE id = :same AND former_province_id IS NULL'
            ),
            {**ids, 'same': same},
        )
        conn.execute(sa.text('DELETE FROM industrial_zones WHERE id = :zone'), {'zone': zone_id})


def _references_to_provinces(conn):
    """(table, column, other primary-key columns) of every foreign key to provinces.id,
    but zones and former provinces, which the map itself places."""
    inspector = sa.inspect(conn)
    found = []
    for table in inspector.get_table_names():
        if table in ('industrial_zones', 'former_provinces', 'provinces'):
            continue
        pk = inspector.get_pk_constraint(table).get('constrained_columns') or []
        for fk in inspector.get_foreign_keys(table):
            if fk['referred_table'] != 'provinces' or len(fk['constrained_columns']) != 1:
                continue
            column = fk['constrained_columns'][0]
            others = [c for c in pk if c != column] if column in pk else []
            found.append((table, column, others))
    return found


def downgrade():
    for table in ('firms', 'industrial_zones'):
        _drop_former_province_id(table)

    with op.batch_alter_table('former_provinces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_former_provinces_province_id'))

    op.drop_table('former_provinces')


def _drop_former_province_id(table):
    """Drop the column again; on SQLite with ALTER TABLE DROP COLUMN (SQLite 3.35+), for
    the reason ``_add_former_province_id`` gives."""
    fk = f'fk_{table}_former_province_id_former_provinces'
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_index(f'ix_{table}_former_province_id', table_name=table)
        op.execute(f'ALTER TABLE {table} DROP COLUMN former_province_id')
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(fk), type_='foreignkey')
        batch_op.drop_index(batch_op.f(f'ix_{table}_former_province_id'))
        batch_op.drop_column('former_province_id')

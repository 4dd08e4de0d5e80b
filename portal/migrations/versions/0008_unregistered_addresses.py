"""Unregistered addresses: one row per address, each organisation's entry kept (issue 21).

Written by hand. ``addresses`` gets ``retired_at``, ``replaced_by_id`` and the partial unique index
``uq_addresses_unregistered`` on (postcode, house_number, house_letter, house_number_addition)
for the live unregistered rows (``verified = false AND retired_at IS NULL``); ``address_entries``
keeps each organisation's entry of such an address with its decision state.

A database that already holds several unregistered rows for one address (the defect this fixes)
keeps the oldest: the declarations of the others move to it and the others are retired, so the
index can be built. Every organisation that declared at an unregistered address gets an
``accepted`` entry with the address's values (what it is known to have entered). Downgrade drops
the table, the index and the column; the moved declarations stay where they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LIVE = 'verified = false AND retired_at IS NULL'

KEEPERS = """
SELECT a.id, (SELECT min(b.id) FROM addresses b
              WHERE b.verified = false AND b.postcode = a.postcode
                AND b.house_number = a.house_number AND b.house_letter = a.house_letter
                AND b.house_number_addition = a.house_number_addition) AS keeper
FROM addresses a WHERE a.verified = false
"""


def upgrade():
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_addresses_replaced_by_id_addresses'),
                                    'addresses', ['replaced_by_id'], ['id'])

    conn = op.get_bind()
    moves = [(row.id, row.keeper) for row in conn.execute(sa.text(KEEPERS)) if row.id != row.keeper]
    for duplicate, keeper in moves:
        conn.execute(
            sa.text('UPDATE declarations SET address_id = :keeper WHERE address_id = :duplicate'),
            {'keeper': keeper, 'duplicate': duplicate},
        )
        conn.execute(
            sa.text('UPDATE addresses SET retired_at = CURRENT_TIMESTAMP, replaced_by_id = :keeper'
                    ' WHERE id = :duplicate'),
            {'keeper': keeper, 'duplicate': duplicate},
        )

    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.create_index(
            'uq_addresses_unregistered',
            ['postcode', 'house_number', 'house_letter', 'house_number_addition'],
            unique=True,
            postgresql_where=sa.text(LIVE),
            sqlite_where=sa.text(LIVE),
        )

    op.create_table(
        'address_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('street', sa.String(length=120), nullable=False),
        sa.Column('town', sa.String(length=80), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('accepted', 'open', 'confirmed', 'set_aside')",
            name=op.f('ck_address_entries_state_known'),
        ),
        sa.ForeignKeyConstraint(['address_id'], ['addresses.id'],
                                name=op.f('fk_address_entries_address_id_addresses')),
        sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'],
                                name=op.f('fk_address_entries_decided_by_user_id_users')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_address_entries_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_address_entries_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_address_entries')),
    )
    with op.batch_alter_table('address_entries', schema=None) as batch_op:
        batch_op.create_index('ix_address_entries_address_state', ['address_id', 'state'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_address_entries_municipality_id'),
                              ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_address_entries_organisation_id'),
                              ['organisation_id'], unique=False)

    op.execute(sa.text(
        "INSERT INTO address_entries (address_id, organisation_id, street, town, municipality_id,"
        " entered_at, state)"
        " SELECT a.id, d.organisation_id, a.street, a.town, a.municipality_id, min(d.filed_at),"
        " 'accepted'"
        " FROM addresses a JOIN declarations d ON d.address_id = a.id"
        " WHERE a.verified = false AND a.retired_at IS NULL"
        " GROUP BY a.id, d.organisation_id, a.street, a.town, a.municipality_id"
    ))


def downgrade():
    with op.batch_alter_table('address_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_entries_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_address_entries_municipality_id'))
        batch_op.drop_index('ix_address_entries_address_state')
    op.drop_table('address_entries')

    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_index('uq_addresses_unregistered', postgresql_where=sa.text(LIVE),
                            sqlite_where=sa.text(LIVE))
        batch_op.drop_constraint(batch_op.f('fk_addresses_replaced_by_id_addresses'),
                                 type_='foreignkey')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('retired_at')

"""The inspectors' address page and search box (issue 20, items 1 and 2).

Written by hand. ``organisations.phone``: the phone number an organisation admin gives for
inspectors ("" = none). ``addresses.street_key``: the street name as the search box reads it
(``portal.domain.search.street_key``: lower case, no accents, "St." as "sint"), backfilled here
in batches of ids and kept by every import; indexed with the municipality and house number, with
PostgreSQL's pattern operator class so ``LIKE 'prefix%'`` uses it under any collation.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 03:00:00

"""
from alembic import op
import sqlalchemy as sa

from portal.domain.search import street_key


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BATCH = 10_000


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=30), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('street_key', sa.String(length=120), nullable=False,
                                      server_default=''))
    connection = op.get_bind()
    addresses = sa.table('addresses', sa.column('id', sa.Integer),
                         sa.column('street', sa.String), sa.column('street_key', sa.String))
    update = (addresses.update().where(addresses.c.id == sa.bindparam('row_id'))
              .values(street_key=sa.bindparam('key')))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(addresses.c.id, addresses.c.street)
            .where(addresses.c.id > last).order_by(addresses.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(update, [{'row_id': i, 'key': street_key(s or '')} for i, s in rows])
        last = rows[-1][0]
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.create_index('ix_addresses_municipality_street_key',
                              ['municipality_id', 'street_key', 'house_number'], unique=False,
                              postgresql_ops={'street_key': 'varchar_pattern_ops'})


def downgrade():
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_index('ix_addresses_municipality_street_key')
        batch_op.drop_column('street_key')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('phone')

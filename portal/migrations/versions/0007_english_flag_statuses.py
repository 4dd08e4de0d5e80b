"""Flag statuses in English: in_behandeling → in_progress, afgehandeld → resolved,
geseponeerd → dismissed ('open' stays). Written by hand.

Rewrites the stored values in every table that holds a flag status: ``flags.status`` (with its
check constraint and the partial unique index "one open flag per address", which name the values)
and ``flag_events.from_status`` / ``to_status`` (the flag's history, the portal's own working
record). The audit trail (``audit_events``) is left as it was written: it is append-only (0006)
and evidence, so its older ``flag.status`` details keep saying e.g. ``open->in_behandeling``;
docs/glossary.md gives the old → new names for reading them. Downgrade maps the values back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD_TO_NEW = {
    'in_behandeling': 'in_progress',
    'afgehandeld': 'resolved',
    'geseponeerd': 'dismissed',
}
OLD_STATUSES = ('open', 'in_behandeling', 'afgehandeld', 'geseponeerd')
NEW_STATUSES = ('open', 'in_progress', 'resolved', 'dismissed')


def _in(statuses):
    return 'status IN (' + ', '.join(f"'{s}'" for s in statuses) + ')'


def _rename(mapping, statuses):
    """Drop the constraint and the index that name the values, rewrite the rows, put them back
    for ``statuses`` (the first two are the open ones)."""
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('uq_flags_one_open_per_address')
        batch_op.drop_constraint(op.f('ck_flags_status_known'), type_='check')

    for column, table in (('status', 'flags'), ('from_status', 'flag_events'),
                          ('to_status', 'flag_events')):
        for old, new in mapping.items():
            op.execute(
                sa.text(f'UPDATE {table} SET {column} = :new WHERE {column} = :old')
                .bindparams(old=old, new=new)
            )

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_flags_status_known'), _in(statuses))
        batch_op.create_index('uq_flags_one_open_per_address', ['address_id'], unique=True,
                              postgresql_where=sa.text(_in(statuses[:2])),
                              sqlite_where=sa.text(_in(statuses[:2])))


def upgrade():
    _rename(OLD_TO_NEW, NEW_STATUSES)


def downgrade():
    _rename({new: old for old, new in OLD_TO_NEW.items()}, OLD_STATUSES)

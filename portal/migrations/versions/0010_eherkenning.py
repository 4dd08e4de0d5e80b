"""eHerkenning: organisations proven, not claimed (issue 18, first part).

Written by hand. ``organisations`` gets ``verified_at`` and ``verified_loa`` (proven through an
eHerkenning login, and at which level; existing organisations were claimed with a password
sign-up: NULL and ''). ``external_identities`` binds a person proven by a broker — the issuer and
its pseudonym of the person — to a user; logins are matched on that pair.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('verified_loa', sa.String(length=10), nullable=False,
                                      server_default=''))

    op.create_table(
        'external_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kvk_number', sa.String(length=8), nullable=False),
        sa.Column('loa', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_external_identities_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_identities')),
        sa.UniqueConstraint('issuer', 'subject', 'kvk_number', name='uq_external_identities_subject'),
    )
    with op.batch_alter_table('external_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_identities_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('external_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_identities_user_id'))
    op.drop_table('external_identities')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('verified_loa')
        batch_op.drop_column('verified_at')

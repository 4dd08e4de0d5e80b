"""Mandates: an organisation lets another declare on its behalf (issue 18, item 4).

Written by hand. ``mandates`` holds each mandate (machtiging) an organisation grants to another,
named by KvK number, for a period from ``start_on`` to ``end_on`` (open when NULL); revoking
sets ``revoked_at``. Existing declarations with a ``declared_for_kvk`` are left as they are.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 02:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mandates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('grantor_organisation_id', sa.Integer(), nullable=False),
        sa.Column('grantee_kvk', sa.String(length=8), nullable=False),
        sa.Column('start_on', sa.Date(), nullable=False),
        sa.Column('end_on', sa.Date(), nullable=True),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('granted_by_user_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_user_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('length(grantee_kvk) = 8',
                           name=op.f('ck_mandates_grantee_kvk_length')),
        sa.CheckConstraint('end_on IS NULL OR end_on >= start_on',
                           name=op.f('ck_mandates_end_after_start')),
        sa.ForeignKeyConstraint(['grantor_organisation_id'], ['organisations.id'],
                                name=op.f('fk_mandates_grantor_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['granted_by_user_id'], ['users.id'],
                                name=op.f('fk_mandates_granted_by_user_id_users')),
        sa.ForeignKeyConstraint(['revoked_by_user_id'], ['users.id'],
                                name=op.f('fk_mandates_revoked_by_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mandates')),
    )
    with op.batch_alter_table('mandates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mandates_grantor_organisation_id'),
                              ['grantor_organisation_id'], unique=False)
        batch_op.create_index('ix_mandates_grantee_grantor',
                              ['grantee_kvk', 'grantor_organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mandates', schema=None) as batch_op:
        batch_op.drop_index('ix_mandates_grantee_grantor')
        batch_op.drop_index(batch_op.f('ix_mandates_grantor_organisation_id'))
    op.drop_table('mandates')

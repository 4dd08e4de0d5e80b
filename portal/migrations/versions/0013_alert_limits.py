"""Alerts that do not flood (issue 20, item 6): the last immediate alert per recipient and
address, and the changes held back for the daily digest.

Written by hand. ``alert_marks`` keeps, per recipient (lower-cased email) and address, when the
last immediate alert went and at which severity level, reasons and total; ``alert_digest_lines``
the changes held back for a recipient's digest, at most one per recipient, address, reasons and
day. Existing flags have no marks: their next worsening alerts as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alert_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('address_id', sa.Integer(), nullable=False),
        sa.Column('flag_id', sa.Integer(), nullable=False),
        sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('severity', sa.Integer(), nullable=False),
        sa.Column('reasons', sa.String(length=200), nullable=False),
        sa.Column('occupants', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['address_id'], ['addresses.id'],
                                name=op.f('fk_alert_marks_address_id_addresses')),
        sa.ForeignKeyConstraint(['flag_id'], ['flags.id'],
                                name=op.f('fk_alert_marks_flag_id_flags')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_marks')),
        sa.UniqueConstraint('recipient', 'address_id', name=op.f('uq_alert_marks_recipient')),
    )
    with op.batch_alter_table('alert_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_marks_address_id'), ['address_id'],
                              unique=False)
    op.create_table(
        'alert_digest_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('address_id', sa.Integer(), nullable=False),
        sa.Column('flag_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('reasons', sa.String(length=200), nullable=False),
        sa.Column('change', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('digested_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['address_id'], ['addresses.id'],
                                name=op.f('fk_alert_digest_lines_address_id_addresses')),
        sa.ForeignKeyConstraint(['flag_id'], ['flags.id'],
                                name=op.f('fk_alert_digest_lines_flag_id_flags')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_digest_lines')),
        sa.UniqueConstraint('recipient', 'address_id', 'day', 'reasons',
                            name=op.f('uq_alert_digest_lines_recipient')),
    )
    with op.batch_alter_table('alert_digest_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_digest_lines_address_id'), ['address_id'],
                              unique=False)
        batch_op.create_index('ix_alert_digest_lines_day_digested', ['day', 'digested_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('alert_digest_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_digest_lines_day_digested')
        batch_op.drop_index(batch_op.f('ix_alert_digest_lines_address_id'))
    op.drop_table('alert_digest_lines')
    with op.batch_alter_table('alert_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_marks_address_id'))
    op.drop_table('alert_marks')

"""A display name for users, and the bad rows of a checked upload (issue 23: start pages).

Written by hand. ``users.display_name`` is optional: pages that list people show it and fall back to
the email address when it is empty. ``batch_uploads.bad_row_count`` keeps how many rows of a
checked CSV file had errors, so an organisation's start page can count the files with errors that
still wait for the user's choice without checking every file again. Existing uploads get 0 (they
live at most a day).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=120), nullable=True))
    with op.batch_alter_table('batch_uploads', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('bad_row_count', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('batch_uploads', schema=None) as batch_op:
        batch_op.drop_column('bad_row_count')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('display_name')

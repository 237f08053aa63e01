"""text opt-outs: STOP and START per phone number

A new table: a number that texts STOP gets no more texts until it texts START.

Revision ID: b3d4e19e6555
Revises: c41f7e2a9b10
Create Date: 2026-12-02 06:52:06.470250

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d4e19e6555'
down_revision = 'c41f7e2a9b10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('text_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('keyword', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_text_opt_outs')),
    sa.UniqueConstraint('phone', name=op.f('uq_text_opt_outs_phone'))
    )


def downgrade():
    op.drop_table('text_opt_outs')

"""driver links: the driver's own link, the patient's consent to text them, the driver's reply

Revision ID: 87105976e9db
Revises: f1a2b3c4d5e6
Create Date: 2026-12-02 06:51:28.878248

Existing appointments: nothing asked, no reply yet (the new columns start empty).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '87105976e9db'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('driver_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_driver_links_appointment_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_driver_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_driver_links_token_hash'))
    )
    with op.batch_alter_table('driver_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_driver_links_appointment_id'), ['appointment_id'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_driver_text_allowed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('driver_reply', sa.Enum('coming', 'not_coming', name='driverreply', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('driver_replied_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('driver_replied_at')
        batch_op.drop_column('driver_reply')
        batch_op.drop_column('is_driver_text_allowed')

    with op.batch_alter_table('driver_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_driver_links_appointment_id'))

    op.drop_table('driver_links')

"""messages: one row per planned text or email (the worker claims the due ones)

Revision ID: 9e4cfb5bdda7
Revises: d7f3f97de162
Create Date: 2026-12-01 22:54:38.405215

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e4cfb5bdda7'
down_revision = 'd7f3f97de162'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.Enum('patient', 'driver', name='messagerecipient', native_enum=False, length=32), nullable=False),
    sa.Column('channel', sa.Enum('email', 'sms', name='messagechannel', native_enum=False, length=32), nullable=False),
    sa.Column('purpose', sa.Enum('link', 'reminder', name='messagepurpose', native_enum=False, length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('planned', 'sending', 'sent', 'delivered', 'failed', 'undeliverable', 'suppressed', 'cancelled', name='messagestatus', native_enum=False, length=32), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_id', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_messages_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_messages_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_messages_status_due_at', ['status', 'due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_status_due_at')
        batch_op.drop_index(batch_op.f('ix_messages_provider_id'))
        batch_op.drop_index(batch_op.f('ix_messages_appointment_id'))

    op.drop_table('messages')

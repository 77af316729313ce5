"""booking cancellation: an inspection task may go back from scheduled to assigned

Revision ID: 0008
Revises: 0007
"""

from smartcustoms.store.state_machine import drop_transitions, enforce_transitions

# the inspection task workflow (smartcustoms.control.workflow.TRANSITIONS), frozen here as the database enforces it
BEFORE = [
    ('created', 'assigned'), ('assigned', 'scheduled'), ('assigned', 'in_progress'), ('scheduled', 'in_progress'),
    ('in_progress', 'completed'), ('completed', 'released'), ('completed', 'detained'), ('completed', 'seized'),
    ('detained', 'released'), ('detained', 'seized'),
]
TASK_TRANSITIONS = [*BEFORE, ('scheduled', 'assigned')]

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    drop_transitions('inspection_tasks', 'state')
    enforce_transitions('inspection_tasks', 'state', TASK_TRANSITIONS)


def downgrade() -> None:
    drop_transitions('inspection_tasks', 'state')
    enforce_transitions('inspection_tasks', 'state', BEFORE)

"""customer emails

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000

A customer named once by email and once by Slack id is one person: this table links
the two, and surveys already delivered (which carry both) seed it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_emails",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("slack_id", sa.String(length=32), nullable=False),
        sa.Column("learned_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email"),
    )
    with op.batch_alter_table("customer_emails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_emails_slack_id"), ["slack_id"], unique=False)
    # What delivered surveys already know: the email a helpdesk gave, and the Slack id
    # it resolved to. The newest delivery wins where an address was reused.
    op.execute(
        """
        INSERT INTO customer_emails (email, slack_id, learned_at)
        SELECT lower(s.customer_email), s.customer_id, s.delivered_at
        FROM surveys AS s
        WHERE s.customer_email IS NOT NULL AND s.customer_id IS NOT NULL
          AND s.delivered_at IS NOT NULL
          AND NOT EXISTS (
            SELECT 1 FROM surveys AS later
            WHERE lower(later.customer_email) = lower(s.customer_email)
              AND later.customer_id IS NOT NULL AND later.delivered_at IS NOT NULL
              AND (later.delivered_at > s.delivered_at
                   OR (later.delivered_at = s.delivered_at AND later.id > s.id))
          )
        """
    )
    # Surveys still keyed by an email whose Slack id is now known take the stable key.
    op.execute(
        """
        UPDATE surveys SET customer_key = (
            SELECT ce.slack_id FROM customer_emails AS ce WHERE ce.email = surveys.customer_key
        )
        WHERE customer_key IN (SELECT email FROM customer_emails)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("customer_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_emails_slack_id"))
    op.drop_table("customer_emails")

"""What the portal sends (notifications layer): the outbox and its sender."""

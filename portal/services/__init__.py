"""Services (orchestration layer): load → call domain → write → enqueue outbox.

Services add and flush; they never commit. The view or CLI command that calls them commits once,
so any exception rolls back everything (CONVENTIONS.md "One transaction per request").
"""

"""Services (orchestration layer): load → call domain → write → enqueue outbox.

Services add and flush; they never commit. The view or CLI command that calls them commits once,
so any exception rolls back everything (docs/architecture.md §3.2).

Four of them are *low services*: ``audit`` (the audit trail writer), ``bulk`` (slices and rows
for many addresses at once), ``queries`` (tenant scoping) and ``errors`` (``Refused``). They
import only the domain, the models and each other, so everything may use them — also the
notifications and the receipts, which sit below the orchestrating services (``services.flags``
raises alerts through ``notifications.alerts``, which writes audit events). They stay in this
package, under their own names, so no import of them changes; tests/unit/test_layers.py holds
them to it. Services never import the presentation layer (``portal.presentation``).
"""

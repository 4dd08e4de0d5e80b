"""What the portal sends (notifications layer): the outbox, its sender and the inspectors'
alerts. Below the orchestrating services: it uses the models, the domain and the low services
(``services.audit``, ``services.bulk``, ``services.errors``) only (tests/unit/test_layers.py).
"""

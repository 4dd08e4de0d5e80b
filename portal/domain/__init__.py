"""The portal's domain core: pure functions over plain values and frozen dataclasses.

No Flask, no SQLAlchemy, no ``portal.models`` here (enforced by tests/unit/test_architecture.py).
Functions return results with reasons (codes) that the web and API layers turn into messages.
"""

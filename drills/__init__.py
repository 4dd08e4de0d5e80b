"""Operational drills against a real PostgreSQL (docs/security.md T2 and T17): `make drills`."""

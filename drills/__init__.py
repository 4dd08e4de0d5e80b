"""Operational drills against a real PostgreSQL (SECURITY.md T2 and T17): `make drills`."""

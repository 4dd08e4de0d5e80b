"""Demo data (tooling): a deterministic BAG-shaped address generator and the files it ships.

``generate`` writes the CSVs under ``data/`` that ``flask --app wsgi demo load`` and the tests
import. Nothing here is used by the running portal.
"""

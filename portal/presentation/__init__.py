"""The presentation layer: how results are shown, never what they are.

Labels for stored codes (``labels``), SVG charts (``charts``, ``statistics_charts``), CSV for
Dutch Excel (``exports``) and Excel workbooks (``spreadsheets``). It sits above the services and
below the forms, views and CLI: it may read models and call services; services, notifications
and receipts never import it (tests/unit/test_layers.py).
"""

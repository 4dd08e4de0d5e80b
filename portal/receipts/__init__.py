"""Receipts (receipts layer): snapshot → HTML → PDF/A through a URL fetcher that only serves the
portal's bundled assets. ``render`` imports WeasyPrint; importing this package does not."""

# Stored on every receipt row; raise it when the receipt's content or layout changes.
TEMPLATE_VERSION = "2026.1"

"""Receipts (receipts layer): snapshot → HTML → tagged PDF/A-3a through a URL fetcher that only
serves the portal's bundled assets. ``render`` imports WeasyPrint; importing this package does
not."""

# Stored on every receipt row; raise it when the receipt's content or layout changes.
# 2026.2: tagged PDF/A-3a, the batch's declarations as lists under headings (issue 24).
TEMPLATE_VERSION = "2026.2"

"""Receipts (receipts layer): snapshot → HTML → PDF through a URL fetcher that only serves bundled
assets. Arrives with the declarations issue; the package is here so the layout is complete."""

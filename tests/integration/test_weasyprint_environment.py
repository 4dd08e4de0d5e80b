"""WeasyPrint is new enough and fast (docs/performance.md §1.2, docs/security.md §8)."""

from __future__ import annotations

from importlib.metadata import version


def test_weasyprint_is_at_least_68_for_cve_2025_68616() -> None:
    major = int(version("weasyprint").split(".")[0])
    assert major >= 68


def test_harfbuzz_subset_is_installed_so_pdfs_are_not_four_times_slower() -> None:
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None, "apt-get install -y libharfbuzz-subset0"

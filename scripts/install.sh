#!/usr/bin/env bash
# Install what the portal needs on a Debian machine: the system libraries WeasyPrint uses, a
# virtual environment in .venv with the Python dependencies, and the compiled translations.
# Run as root, it installs missing Debian packages itself; otherwise it names the exact apt-get
# line and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
# WeasyPrint: Pango (layout), HarfBuzz-Subset (font subsetting; without it every PDF is ~4x
# slower, docs/performance.md §1.2) and a font for the receipts.
# poppler-utils: pdftotext, with which the tests read the receipts.
DEB_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils)
# chromium: the browser the end-to-end tests (tests/e2e, Playwright) drive headless. Installed
# when running as root (CI); elsewhere only noted — without it those tests skip.
OPTIONAL_DEB_PACKAGES=(chromium)

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "error: $PYTHON not found; install Python 3.11 or newer (apt-get install -y python3 python3-venv)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "error: Python 3.11 or newer is needed; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  DEB_PACKAGES+=(python3-venv)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEB_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
else
  echo "note: not a Debian system; make sure Pango, HarfBuzz-Subset and a TrueType font are installed." >&2
fi

optional_missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${OPTIONAL_DEB_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      optional_missing+=("$pkg")
    fi
  done
fi
if ((${#optional_missing[@]})); then
  if [ "$(id -u)" = "0" ]; then
    missing+=("${optional_missing[@]}")
  else
    echo "note: for the browser tests install: sudo apt-get install -y ${optional_missing[*]}" >&2
  fi
fi

# Another apt-get or an unattended upgrade may hold the package locks: wait for it (up to 10
# minutes) instead of failing at once.
APT_WAIT=(-o DPkg::Lock::Timeout=600)

if ((${#missing[@]})); then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing Debian packages: ${missing[*]} (waits while another apt-get runs)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get "${APT_WAIT[@]}" update -qq
    apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "error: these Debian packages are missing: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    echo "and run this command again." >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "Installing the Python packages into .venv"
.venv/bin/python -m pip install -qq --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -qq --disable-pip-version-check -e ".[dev]"
# The OpenID Provider the eHerkenning tests log in at (tools/oidc-provider, panva's
# oidc-provider from npm, pinned by package-lock.json). Without node the tests skip.
if command -v npm >/dev/null 2>&1; then
  echo "Installing the test OpenID Provider (npm)"
  npm ci --prefix tools/oidc-provider --silent --no-audit --no-fund
else
  echo "note: node and npm are missing; the eHerkenning login tests will skip (apt-get install -y nodejs npm)" >&2
fi
echo "Compiling the translations"
.venv/bin/pybabel -q compile -d portal/translations
echo "Installed."

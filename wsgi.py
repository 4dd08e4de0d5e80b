"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi …``."""

import sys

from portal import create_app
from portal.settings import ConfigError

try:
    app = create_app()
except ConfigError as refused:
    if "check-deploy" not in sys.argv[1:]:
        raise  # gunicorn and every other command: the portal does not start
    # `flask --app wsgi check-deploy` lists every check, also for a configuration the portal
    # refuses (docs/security.md T19): the app is built as in development, without serving anything,
    # and the command judges the configuration as production would.
    print(f"{refused}\n", file=sys.stderr)
    app = create_app({"ENV": "development"})

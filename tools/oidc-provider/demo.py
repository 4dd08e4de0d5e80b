"""Start the test OpenID Provider for trying the eHerkenning login by hand (docs/eherkenning.md).

Writes a configuration with a fresh signing key and a client for the portal served at
http://127.0.0.1:$PORT (default 5000), prints the settings the portal needs and an example
login, and runs the provider on http://127.0.0.1:$OIDC_PORT (default 9000) until Ctrl+C.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from joserfc.jwk import RSAKey

HERE = Path(__file__).resolve().parent
CLAIMS = [
    "urn:etoegang:core:LegalSubjectID",
    "urn:etoegang:core:ActingSubjectID",
    "urn:etoegang:core:LevelOfAssurance",
    "urn:etoegang:1.9:ServiceRestriction:Vestigingsnr",
]
CLIENT_ID = "meldportaal-demo"
CLIENT_SECRET = "demo-only-client-secret"  # noqa: S105 (a provider on loopback for trying)


def main() -> int:
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        print("Install the provider first: npm ci --prefix tools/oidc-provider", file=sys.stderr)
        return 1
    port = int(os.environ.get("OIDC_PORT", "9000"))
    portal = f"http://127.0.0.1:{int(os.environ.get('PORT', '5000'))}"
    issuer = f"http://127.0.0.1:{port}"
    key = RSAKey.generate_key(2048, parameters={"kid": "demo-1", "alg": "RS256", "use": "sig"})
    config = {
        "issuer": issuer,
        "port": port,
        "jwks": {"keys": [key.as_dict(private=True)]},
        "claims": CLAIMS,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{portal}/inloggen/eherkenning/terug"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            }
        ],
    }
    example = {
        "sub": "medewerker-1",
        "urn:etoegang:core:ActingSubjectID": "medewerker-1",
        "urn:etoegang:core:LegalSubjectID": "90000011",
        "urn:etoegang:core:LevelOfAssurance": "urn:etoegang:core:assurance-class:loa3",
    }
    print(f"Test OpenID Provider at {issuer} (Ctrl+C stops it).")
    print("Serve the portal in another terminal with:")
    print(
        f"  PORTAL_EHERKENNING_DISCOVERY_URL={issuer}/.well-known/openid-configuration \\\n"
        f"  PORTAL_EHERKENNING_CLIENT_ID={CLIENT_ID} \\\n"
        f"  PORTAL_EHERKENNING_CLIENT_SECRET={CLIENT_SECRET} make run"
    )
    print("Then choose 'Inloggen met eHerkenning' and log in at the provider with, as the login:")
    print(f"  {json.dumps(example)}")
    print("(any password; change the level to ...:loa2 to see a refusal).")
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "provider.json"
        path.write_text(json.dumps(config))
        env = {**os.environ, "OIDC_PROVIDER_CONFIG": str(path)}
        try:
            return subprocess.call(["node", str(HERE / "provider.mjs")], env=env)  # noqa: S603, S607
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())

"""A real OpenID Provider on loopback for the eHerkenning tests: panva's oidc-provider
(tools/oidc-provider, installed by scripts/install.sh with npm) as a child process. It publishes
its keys, runs the authorization code flow with PKCE and signs real ID tokens; only the broker's
login screen is its development form, where the "login" is the JSON of the token's claims."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import requests
from joserfc.jwk import RSAKey

ROOT = Path(__file__).resolve().parents[1]
PROVIDER_DIR = ROOT / "tools" / "oidc-provider"
BASE = "http://portal.test"
CLIENT_ID = "meldportaal"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"
KVK = "urn:etoegang:core:LegalSubjectID"
ACTING = "urn:etoegang:core:ActingSubjectID"
LOA = "urn:etoegang:core:LevelOfAssurance"
# The eHerkenning claims, and what a municipality's own provider sends for its staff.
CLAIMS = [
    KVK,
    ACTING,
    LOA,
    "urn:etoegang:1.9:ServiceRestriction:Vestigingsnr",
    "name",
    "email",
    "amr",
]
EH3 = "urn:etoegang:core:assurance-class:loa3"
EH2 = "urn:etoegang:core:assurance-class:loa2"


def person(
    kvk: str | None = "90000011", loa: str = EH3, sub: str = "medewerker-1", **extra: Any
) -> dict:
    """The claims of one employee's login (the JSON typed as the provider's "login")."""
    claims = {"sub": sub, ACTING: sub, LOA: loa, **extra}
    if kvk is not None:
        claims[KVK] = kvk
    return claims


def portal_settings(provider: Provider) -> dict[str, str]:
    """The portal's settings for this provider."""
    return {
        "EHERKENNING_DISCOVERY_URL": provider.discovery,
        "EHERKENNING_CLIENT_ID": CLIENT_ID,
        "EHERKENNING_CLIENT_SECRET": CLIENT_SECRET,
        "EHERKENNING_CLAIM_ORGANISATION_NAME": "name",
    }


def missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "tools/oidc-provider has no node_modules (npm ci --prefix tools/oidc-provider)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


class Provider:
    """oidc-provider as a child process; ``restart`` with another key rotates the keys. The
    portal at ``portal_base`` is its one client."""

    def __init__(
        self, workdir: Path, portal_base: str = BASE, also_back_to: tuple[str, ...] = ()
    ) -> None:
        self.portal_base = portal_base
        self.also_back_to = also_back_to
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "provider.json"
        self.log = workdir / "provider.log"
        self.key = new_key("key-1")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.config.write_text(
            json.dumps(
                {
                    "issuer": self.issuer,
                    "port": self.port,
                    "jwks": {"keys": [self.key.as_dict(private=True)]},
                    "claims": CLAIMS,
                    "clients": [
                        {
                            "client_id": CLIENT_ID,
                            "client_secret": CLIENT_SECRET,
                            "redirect_uris": [
                                f"{self.portal_base}/inloggen/eherkenning/terug",
                                *(self.portal_base + path for path in self.also_back_to),
                            ],
                            "grant_types": ["authorization_code"],
                            "response_types": ["code"],
                        }
                    ],
                }
            )
        )
        env = {**os.environ, "OIDC_PROVIDER_CONFIG": str(self.config), "NODE_ENV": "test"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                ["node", str(PROVIDER_DIR / "provider.mjs")], env=env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(self.discovery, timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("oidc-provider did not start:\n" + self.log.read_text())

    @property
    def discovery(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def restart(self, key: RSAKey) -> None:
        self.stop()
        self.key = key
        self.start()

"""Debian's docker-registry in token-auth mode, with a token service on 127.0.0.1 over HTTPS.

The token service is small and written here (as ghcr.io's is elsewhere): it checks Basic
credentials and issues a JWT (RS256, its certificate in the ``x5c`` header) granting exactly
the scopes asked for, nothing more. The registry trusts the certificate (``rootcertbundle``);
clients trust it for the HTTPS of the token service through ``SSL_CERT_FILE``. Every request
for a token is recorded (the scopes asked for, whether credentials came).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import shutil
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.servers import _stop, _wait_until, free_port

SERVICE = "kstasks-test-registry"
ISSUER = "kstasks-test-token-service"
USERNAME = "robot"
PASSWORD = "tok3n-auth-pa55"


@dataclass
class TokenRegistry:
    address: str
    """``127.0.0.1:PORT`` of the registry."""
    realm: str
    cert_file: Path
    """The token service's certificate, for ``SSL_CERT_FILE``."""
    scopes: list[list[str]] = field(default_factory=list)
    """The scopes of every token request, in order."""
    credentials: list[bool] = field(default_factory=list)
    """Whether each token request carried the right Basic credentials."""

    def asked(self) -> list[list[str]]:
        """:attr:`scopes` with each scope's actions sorted: the registry names the actions of a
        challenge in no fixed order ("pull,push" or "push,pull")."""
        return [[_sorted_actions(scope) for scope in scopes] for scopes in self.scopes]


def _sorted_actions(scope: str) -> str:
    """``type:name:actions`` with the actions sorted."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    return f"{kind}:{name}:{','.join(sorted(actions.split(',')))}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _key_and_cert(root: Path):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kstasks test token service")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = root / "token.crt", root / "token.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return key, cert, cert_file, key_file


def _jwt(key, cert, subject: str, scopes: list[str]) -> str:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
    now = int(time.time())
    header = {
        "typ": "JWT",
        "alg": "RS256",
        "x5c": [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()],
    }
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "aud": SERVICE,
        "exp": now + 600,
        "nbf": now - 60,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "access": access,
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


@contextmanager
def token_registry(root: Path) -> Iterator[TokenRegistry]:
    """The registry (storage in ``root``) behind the token service, both on 127.0.0.1."""
    binary = shutil.which("docker-registry")
    assert binary, "docker-registry is not installed: run .ci/install"
    key, cert, cert_file, key_file = _key_and_cert(root)
    expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    state = TokenRegistry("", "", cert_file)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            scopes = query.get("scope", [])
            state.scopes.append(scopes)
            state.credentials.append(self.headers.get("Authorization") == expected)
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"token": _jwt(key, cert, USERNAME, scopes), "expires_in": 600}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    state.realm = f"https://127.0.0.1:{httpd.server_address[1]}/token"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    port = free_port()
    state.address = f"127.0.0.1:{port}"
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: {state.address}\n"
        f"auth:\n  token:\n    realm: {state.realm}\n    service: {SERVICE}\n    issuer: {ISSUER}\n"
        f"    rootcertbundle: {cert_file}\n"
    )
    proc = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def ready() -> bool:
        try:
            urllib.request.urlopen(f"http://{state.address}/v2/", timeout=1)
        except urllib.error.HTTPError as err:
            return err.code == 401
        except OSError:
            return False
        return False

    try:
        _wait_until(ready, proc, "docker-registry (token auth)")
        yield state
    finally:
        _stop(proc)
        httpd.shutdown()
        httpd.server_close()

"""One webhook POST (core.outbound.post_bounded) over TLS: the receiver's certificate is
verified, and with the right trust the signed body arrives intact."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.outbound import FetchError, post_bounded


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_receiver(tmp_path):
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    cert_file, key_file = _self_signed(tmp_path)
    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/hook", cert_file, received
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_a_failure_and_nothing_is_sent(tls_receiver):
    url, _, received = tls_receiver
    with pytest.raises(FetchError) as caught:
        post_bounded(
            url, b"{}", headers={}, allow_private=True, connect_timeout=2, deadline_seconds=5
        )
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.message
    assert caught.value.transient and received == []


def test_a_trusted_certificate_gets_the_body(tls_receiver, monkeypatch):
    url, cert_file, received = tls_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # what the default context trusts
    outcome = post_bounded(
        url, b'{"type":"webhook.test"}', headers={"webhook-id": "msg_1"},
        allow_private=True, connect_timeout=2, deadline_seconds=5,
    )  # fmt: skip
    assert (outcome.status, outcome.excerpt) == (200, "ok")
    assert received == [b'{"type":"webhook.test"}']

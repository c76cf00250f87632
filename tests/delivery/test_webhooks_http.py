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


def test_a_name_that_resolves_privately_after_the_check_is_refused_on_the_socket(monkeypatch):
    """DNS rebinding: the URL passed the check (made to say "public" here), then the connection
    reached 127.0.0.1. The peer check on the socket refuses it before a byte of the body goes."""
    import core.outbound

    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(core.outbound, "url_check_public", lambda url, **kwargs: None)
    try:
        with pytest.raises(FetchError) as caught:
            post_bounded(
                f"http://127.0.0.1:{server.server_port}/hook",
                b"{}",
                headers={},
                allow_private=False,
                connect_timeout=2,
                deadline_seconds=5,
            )
        assert "private or reserved address" in caught.value.message
        assert hits == []
        # The same call with private addresses allowed reaches the receiver: the refusal above
        # was the peer check, not a dead server.
        assert (
            post_bounded(
                f"http://127.0.0.1:{server.server_port}/hook",
                b"{}",
                headers={},
                allow_private=True,
                connect_timeout=2,
                deadline_seconds=5,
            ).status
            == 204
        )
        assert hits == ["/hook"]
    finally:
        server.shutdown()
        server.server_close()

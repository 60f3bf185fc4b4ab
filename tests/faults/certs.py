"""Certificates for the TLS fault servers: a generated CA (trustme) and self-signed server certificates.

Every server certificate names ``127.0.0.1`` and ``localhost``, the address the clients connect to, except the one
made for a name mismatch.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["SERVER_NAMES", "ServerCert", "TlsSetup"]

SERVER_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class ServerCert:
    """A server's certificate chain and key (PEM files)."""

    chain_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.chain_file, self.key_file)
        return context


@dataclass(frozen=True)
class TlsSetup:
    """The suite's TLS material, written under one directory.

    ``ca_file`` is the generated CA that signed ``trusted`` and ``wrong_name``; ``other_ca_file`` is a second CA that
    signed nothing the servers use. ``self_signed`` holds two self-signed certificates, each to be trusted as its own
    CA: ``"ca"`` has ``basicConstraints CA:TRUE`` (what ``openssl req -x509`` makes), ``"leaf"`` has ``CA:FALSE``.
    """

    directory: Path
    ca_file: Path
    other_ca_file: Path
    trusted: ServerCert
    wrong_name: ServerCert
    self_signed: dict[str, ServerCert]

    @classmethod
    def create(cls, directory: Path) -> TlsSetup:
        directory.mkdir(parents=True, exist_ok=True)
        ca, other_ca = trustme.CA(organization_name="pusher-fast fault suite CA"), trustme.CA()
        ca_file, other_ca_file = directory / "ca.pem", directory / "other-ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        other_ca.cert_pem.write_to_path(str(other_ca_file))
        return cls(
            directory=directory,
            ca_file=ca_file,
            other_ca_file=other_ca_file,
            trusted=_issued(ca, directory / "trusted", SERVER_NAMES),
            wrong_name=_issued(ca, directory / "wrong-name", ("pusher.example.test",)),
            self_signed={
                "ca": _self_signed(directory / "self-signed-ca", is_ca=True),
                "leaf": _self_signed(directory / "self-signed-leaf", is_ca=False),
            },
        )


def _issued(ca: trustme.CA, stem: Path, names: tuple[str, ...]) -> ServerCert:
    issued = ca.issue_cert(*names)
    chain_file, key_file = stem.with_suffix(".chain.pem"), stem.with_suffix(".key.pem")
    with open(chain_file, "wb") as out:
        for blob in issued.cert_chain_pems:
            out.write(blob.bytes())
    issued.private_key_pem.write_to_path(str(key_file))
    return ServerCert(chain_file, key_file)


def _self_signed(stem: Path, *, is_ca: bool) -> ServerCert:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt_names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if not is_ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    certificate = builder.sign(key, hashes.SHA256())
    chain_file, key_file = stem.with_suffix(".pem"), stem.with_suffix(".key.pem")
    chain_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ServerCert(chain_file, key_file)

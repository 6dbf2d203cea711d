"""A small test/demo PKI made with the ``cryptography`` package.

Root CAs, (optional) intermediate CAs and document-signing certificates, each an
:class:`Identity` (private key + certificate + its issuer). Identities can be saved
as PEM files and loaded again, so a fixture script can make a PKI once and sign many
files with it.

Typical use::

    from pdfkit import pki
    root = pki.create_root_ca("root", "PhòngHọp Test Root CA", key_type="rsa3072")
    alice = pki.create_signer("alice", root, "Nguyễn Văn An", organization="Sở X")
    pki.save_identity(alice, out_dir)   # alice.key.pem, alice.cert.pem, alice.chain.pem

or the whole standard test set at once: ``pki.create_test_pki(out_dir)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = Literal["rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384", "ec-p521"]
PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]

# id-kp-documentSigning (RFC 9336); harmless for validators that do not know it.
DOCUMENT_SIGNING_EKU = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")

UTC = dt.timezone.utc


def now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def generate_key(key_type: KeyType) -> PrivateKey:
    """A new private key: "rsa2048" | "rsa3072" | "rsa4096" | "ec-p256" | "ec-p384" | "ec-p521"."""
    if key_type.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[3:]))
    curves = {"ec-p256": ec.SECP256R1(), "ec-p384": ec.SECP384R1(), "ec-p521": ec.SECP521R1()}
    try:
        return ec.generate_private_key(curves[key_type])
    except KeyError:
        raise ValueError(f"unknown key type {key_type!r}") from None


def _hash_for(key: PrivateKey) -> hashes.HashAlgorithm:
    """The digest an issuer key signs certificates with."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.key_size >= 521:
            return hashes.SHA512()
        if key.curve.key_size >= 384:
            return hashes.SHA384()
    return hashes.SHA256()


def key_type_of(key: PrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return f"rsa{key.key_size}"
    return f"ec-p{key.curve.key_size}"


def build_name(
    common_name: str,
    *,
    organization: str | None = None,
    organizational_unit: str | None = None,
    title: str | None = None,
    locality: str | None = None,
    state: str | None = None,
    country: str | None = "VN",
    email: str | None = None,
) -> x509.Name:
    """An X.509 distinguished name (UTF8String values, so Vietnamese is kept as is)."""
    attrs = []
    if country:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if state:
        attrs.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, state))
    if locality:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, locality))
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if organizational_unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit))
    if title:
        attrs.append(x509.NameAttribute(NameOID.TITLE, title))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


@dataclass
class Identity:
    """A key pair with its certificate. ``name`` is the file stem used on disk."""

    name: str
    key: PrivateKey
    cert: x509.Certificate
    issuer: "Identity | None" = None

    @property
    def common_name(self) -> str:
        return self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value

    @property
    def is_ca(self) -> bool:
        try:
            return self.cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            return False

    @property
    def chain(self) -> list[x509.Certificate]:
        """This certificate, then its issuers up to and including the root."""
        out, cur = [], self
        while cur is not None:
            out.append(cur.cert)
            cur = cur.issuer
        return out

    @property
    def root(self) -> "Identity":
        cur = self
        while cur.issuer is not None:
            cur = cur.issuer
        return cur

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def chain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)


def _validity(
    not_before: dt.datetime | None, not_after: dt.datetime | None, days: int
) -> tuple[dt.datetime, dt.datetime]:
    nb = not_before or (now() - dt.timedelta(days=1))
    na = not_after or (nb + dt.timedelta(days=days))
    if na <= nb:
        raise ValueError("not_after must be after not_before")
    return nb, na


def _ski(pub) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(pub)


def _aki(issuer_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def create_root_ca(
    name: str,
    common_name: str,
    *,
    key_type: KeyType = "rsa3072",
    organization: str | None = None,
    organizational_unit: str | None = None,
    country: str = "VN",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    days: int = 3650,
    key: PrivateKey | None = None,
) -> Identity:
    """A self-signed root CA (basicConstraints CA:TRUE, keyCertSign + cRLSign)."""
    key = key or generate_key(key_type)
    subject = build_name(
        common_name, organization=organization, organizational_unit=organizational_unit, country=country
    )
    nb, na = _validity(not_before, not_after, days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb)
        .not_valid_after(na)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(key.public_key()), critical=False)
        .sign(key, _hash_for(key))
    )
    return Identity(name=name, key=key, cert=cert, issuer=None)


def create_intermediate_ca(
    name: str,
    issuer: Identity,
    common_name: str,
    *,
    key_type: KeyType = "rsa3072",
    organization: str | None = None,
    organizational_unit: str | None = None,
    country: str = "VN",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    days: int = 3650,
    key: PrivateKey | None = None,
) -> Identity:
    """A subordinate CA (pathLen 0) issued by ``issuer``."""
    key = key or generate_key(key_type)
    subject = build_name(
        common_name, organization=organization, organizational_unit=organizational_unit, country=country
    )
    nb, na = _validity(not_before, not_after, days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb)
        .not_valid_after(na)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(key.public_key()), critical=False)
        .add_extension(_aki(issuer.cert), critical=False)
        .sign(issuer.key, _hash_for(issuer.key))
    )
    return Identity(name=name, key=key, cert=cert, issuer=issuer)


def create_signer(
    name: str,
    issuer: Identity,
    common_name: str,
    *,
    key_type: KeyType = "ec-p256",
    organization: str | None = None,
    organizational_unit: str | None = None,
    title: str | None = None,
    locality: str | None = None,
    state: str | None = None,
    country: str = "VN",
    email: str | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    days: int = 1825,
    key: PrivateKey | None = None,
) -> Identity:
    """An end-entity document-signing certificate issued by ``issuer``
    (keyUsage digitalSignature + nonRepudiation, EKU emailProtection +
    documentSigning). Pass ``not_before``/``not_after`` to make e.g. an expired one."""
    key = key or generate_key(key_type)
    subject = build_name(
        common_name,
        organization=organization,
        organizational_unit=organizational_unit,
        title=title,
        locality=locality,
        state=state,
        country=country,
        email=email,
    )
    nb, na = _validity(not_before, not_after, days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb)
        .not_valid_after(na)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING_EKU]),
            critical=False,
        )
        .add_extension(_ski(key.public_key()), critical=False)
        .add_extension(_aki(issuer.cert), critical=False)
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    cert = builder.sign(issuer.key, _hash_for(issuer.key))
    return Identity(name=name, key=key, cert=cert, issuer=issuer)


# ------------------------------------------------------------------------ files


def save_identity(identity: Identity, directory: str | Path) -> dict[str, Path]:
    """Write ``<name>.key.pem`` (PKCS#8, unencrypted, mode 0600), ``<name>.cert.pem``
    and ``<name>.chain.pem`` (certificate then issuers up to the root)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = {
        "key": d / f"{identity.name}.key.pem",
        "cert": d / f"{identity.name}.cert.pem",
        "chain": d / f"{identity.name}.chain.pem",
    }
    paths["key"].write_bytes(identity.key_pem())
    paths["key"].chmod(0o600)
    paths["cert"].write_bytes(identity.cert_pem())
    paths["chain"].write_bytes(identity.chain_pem())
    return paths


def load_identity(directory: str | Path, name: str, issuer: Identity | None = None) -> Identity:
    """Load ``<name>.key.pem`` and ``<name>.cert.pem`` from ``directory``."""
    d = Path(directory)
    key = serialization.load_pem_private_key((d / f"{name}.key.pem").read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate((d / f"{name}.cert.pem").read_bytes())
    if issuer is not None and cert.issuer != issuer.cert.subject:
        raise ValueError(f"{name}: issuer does not match {issuer.name}")
    return Identity(name=name, key=key, cert=cert, issuer=issuer)  # type: ignore[arg-type]


def load_cert(path: str | Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def write_certs(path: str | Path, certs: Iterable[x509.Certificate]) -> Path:
    """Write certificates as one PEM bundle (e.g. a trust store file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return p


# --------------------------------------------------------------- standard test set

TEST_ORG = "PhòngHọp Test PKI"


def create_test_pki(directory: str | Path | None = None) -> dict[str, Identity]:
    """The standard set for signature-verifier tests, saved to ``directory`` if given
    (plus ``trust.pem`` with the two trusted roots and ``untrusted-root.pem``):

    - ``root-rsa``: trusted root CA, RSA 3072
    - ``root-ec``: trusted root CA, EC P-256
    - ``signer-rsa``: RSA 2048 signer under root-rsa
    - ``signer-ec256``: EC P-256 signer under root-ec
    - ``signer-ec384``: EC P-384 signer under root-ec
    - ``signer-expired``: RSA 2048 under root-rsa, valid 3 years ago to 2 years ago
    - ``root-untrusted``: a root not in trust.pem (EC P-256)
    - ``signer-untrusted``: EC P-256 signer under root-untrusted
    """
    t = now()
    long_ago = t - dt.timedelta(days=5 * 365)
    ids: dict[str, Identity] = {}
    ids["root-rsa"] = create_root_ca(
        "root-rsa", "PhòngHọp Test Root CA RSA", key_type="rsa3072", organization=TEST_ORG,
        not_before=long_ago, days=20 * 365,
    )
    ids["root-ec"] = create_root_ca(
        "root-ec", "PhòngHọp Test Root CA EC", key_type="ec-p256", organization=TEST_ORG,
        not_before=long_ago, days=20 * 365,
    )
    ids["signer-rsa"] = create_signer(
        "signer-rsa", ids["root-rsa"], "Nguyễn Văn An", key_type="rsa2048",
        organization="Sở Thông tin và Truyền thông (test)", title="Chuyên viên",
        email="an.nv@test.invalid", days=10 * 365,
    )
    ids["signer-ec256"] = create_signer(
        "signer-ec256", ids["root-ec"], "Trần Thị Bình", key_type="ec-p256",
        organization="Văn phòng UBND tỉnh (test)", title="Phó Chánh Văn phòng",
        email="binh.tt@test.invalid", days=10 * 365,
    )
    ids["signer-ec384"] = create_signer(
        "signer-ec384", ids["root-ec"], "Lê Hoàng Cường", key_type="ec-p384",
        organization="Sở Tài chính (test)", title="Giám đốc",
        email="cuong.lh@test.invalid", days=10 * 365,
    )
    ids["signer-expired"] = create_signer(
        "signer-expired", ids["root-rsa"], "Phạm Thị Dung (hết hạn)", key_type="rsa2048",
        organization="Sở Nội vụ (test)",
        not_before=t - dt.timedelta(days=3 * 365), not_after=t - dt.timedelta(days=2 * 365),
    )
    ids["root-untrusted"] = create_root_ca(
        "root-untrusted", "Untrusted Test Root CA", key_type="ec-p256",
        organization="Không tin cậy (test)", not_before=long_ago, days=20 * 365,
    )
    ids["signer-untrusted"] = create_signer(
        "signer-untrusted", ids["root-untrusted"], "Hồ Văn Em", key_type="ec-p256",
        organization="Đơn vị không tin cậy (test)", days=10 * 365,
    )
    if directory is not None:
        for ident in ids.values():
            save_identity(ident, directory)
        write_certs(Path(directory) / "trust.pem", [ids["root-rsa"].cert, ids["root-ec"].cert])
        write_certs(Path(directory) / "untrusted-root.pem", [ids["root-untrusted"].cert])
    return ids


def load_test_pki(directory: str | Path) -> dict[str, Identity]:
    """Load a set saved by :func:`create_test_pki`."""
    d = Path(directory)
    ids: dict[str, Identity] = {}
    for root in ("root-rsa", "root-ec", "root-untrusted"):
        ids[root] = load_identity(d, root)
    parents = {
        "signer-rsa": "root-rsa",
        "signer-ec256": "root-ec",
        "signer-ec384": "root-ec",
        "signer-expired": "root-rsa",
        "signer-untrusted": "root-untrusted",
    }
    for name, parent in parents.items():
        ids[name] = load_identity(d, name, ids[parent])
    return ids

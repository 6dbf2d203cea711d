//! The primitives: digests by OID, and signatures (RSA PKCS#1 v1.5, RSA-PSS, ECDSA
//! P-256/P-384) by algorithm identifier and public key.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::{Decode, Encode};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::RsaPublicKey;
use rsa::pkcs1::RsaPssParams;
use rsa::pkcs8::DecodePublicKey;
use sha2::Digest;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

const OID_RSASSA_PSS: ObjectIdentifier = rfc5912::ID_RSASSA_PSS;
const OID_EC_PUBLIC_KEY: ObjectIdentifier = rfc5912::ID_EC_PUBLIC_KEY;
const OID_P256: ObjectIdentifier = rfc5912::SECP_256_R_1;
const OID_P384: ObjectIdentifier = rfc5912::SECP_384_R_1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigestAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<DigestAlg> {
        match *oid {
            rfc5912::ID_SHA_1 => Some(DigestAlg::Sha1),
            rfc5912::ID_SHA_256 => Some(DigestAlg::Sha256),
            rfc5912::ID_SHA_384 => Some(DigestAlg::Sha384),
            rfc5912::ID_SHA_512 => Some(DigestAlg::Sha512),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Sha1 => "sha1",
            DigestAlg::Sha256 => "sha256",
            DigestAlg::Sha384 => "sha384",
            DigestAlg::Sha512 => "sha512",
        }
    }

    /// Digest of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            DigestAlg::Sha1 => run::<sha1::Sha1>(parts),
            DigestAlg::Sha256 => run::<sha2::Sha256>(parts),
            DigestAlg::Sha384 => run::<sha2::Sha384>(parts),
            DigestAlg::Sha512 => run::<sha2::Sha512>(parts),
        }
    }
}

/// Why a signature did not verify.
#[derive(Debug)]
pub(crate) enum SigError {
    /// The algorithm or key type is one we do not implement.
    Unsupported(String),
    /// The signature is wrong (or the key/encoding is broken).
    Bad(String),
}

/// Verifies `signature` over `message` with `key`. `alg` is the signature algorithm
/// identifier; for plain `rsaEncryption` / `id-ecPublicKey` (which CMS allows) the hash
/// is `digest_hint`.
pub(crate) fn verify_signature(
    key: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest_hint: Option<DigestAlg>,
    message: &[u8],
    signature: &[u8],
) -> Result<&'static str, SigError> {
    let oid = alg.oid;
    let hint = || digest_hint.ok_or_else(|| SigError::Unsupported(format!("no digest for {oid}")));
    let (scheme, digest) = match oid {
        rfc5912::RSA_ENCRYPTION => (Scheme::Pkcs1, hint()?),
        rfc5912::SHA_1_WITH_RSA_ENCRYPTION => (Scheme::Pkcs1, DigestAlg::Sha1),
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => (Scheme::Pkcs1, DigestAlg::Sha256),
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => (Scheme::Pkcs1, DigestAlg::Sha384),
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => (Scheme::Pkcs1, DigestAlg::Sha512),
        OID_RSASSA_PSS => {
            let params = alg
                .parameters
                .as_ref()
                .ok_or_else(|| SigError::Bad("RSA-PSS without parameters".into()))?;
            let der = params
                .to_der()
                .map_err(|e| SigError::Bad(format!("RSA-PSS parameters: {e}")))?;
            let p = RsaPssParams::from_der(&der)
                .map_err(|e| SigError::Bad(format!("RSA-PSS parameters: {e}")))?;
            let d = DigestAlg::from_oid(&p.hash.oid)
                .ok_or_else(|| SigError::Unsupported(format!("RSA-PSS hash {}", p.hash.oid)))?;
            let mgf_hash = p.mask_gen.parameters.as_ref().map(|a| a.oid);
            if p.mask_gen.oid != rfc5912::ID_MGF_1 || mgf_hash != Some(p.hash.oid) {
                return Err(SigError::Unsupported(
                    "RSA-PSS with a mask generation other than MGF1 over the same hash".into(),
                ));
            }
            (Scheme::Pss(usize::from(p.salt_len)), d)
        }
        rfc5912::ID_EC_PUBLIC_KEY => (Scheme::Ecdsa, hint()?),
        rfc5912::ECDSA_WITH_SHA_256 => (Scheme::Ecdsa, DigestAlg::Sha256),
        rfc5912::ECDSA_WITH_SHA_384 => (Scheme::Ecdsa, DigestAlg::Sha384),
        rfc5912::ECDSA_WITH_SHA_512 => (Scheme::Ecdsa, DigestAlg::Sha512),
        other => {
            return Err(SigError::Unsupported(format!(
                "signature algorithm {}",
                oid_name(&other)
            )));
        }
    };
    let hashed = digest.digest(&[message]);
    match scheme {
        Scheme::Pkcs1 | Scheme::Pss(_) => {
            if key.algorithm.oid != rfc5912::RSA_ENCRYPTION && key.algorithm.oid != OID_RSASSA_PSS {
                return Err(SigError::Bad("RSA signature but the key is not RSA".into()));
            }
            let der = key
                .to_der()
                .map_err(|e| SigError::Bad(format!("public key: {e}")))?;
            let pk = RsaPublicKey::from_public_key_der(&der)
                .map_err(|e| SigError::Bad(format!("RSA public key: {e}")))?;
            let res = match (scheme, digest) {
                (Scheme::Pkcs1, DigestAlg::Sha1) => {
                    pk.verify(rsa::Pkcs1v15Sign::new::<sha1::Sha1>(), &hashed, signature)
                }
                (Scheme::Pkcs1, DigestAlg::Sha256) => {
                    pk.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &hashed, signature)
                }
                (Scheme::Pkcs1, DigestAlg::Sha384) => {
                    pk.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha384>(), &hashed, signature)
                }
                (Scheme::Pkcs1, DigestAlg::Sha512) => {
                    pk.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha512>(), &hashed, signature)
                }
                (Scheme::Pss(s), DigestAlg::Sha1) => {
                    pk.verify(rsa::Pss::new_with_salt::<sha1::Sha1>(s), &hashed, signature)
                }
                (Scheme::Pss(s), DigestAlg::Sha256) => pk.verify(
                    rsa::Pss::new_with_salt::<sha2::Sha256>(s),
                    &hashed,
                    signature,
                ),
                (Scheme::Pss(s), DigestAlg::Sha384) => pk.verify(
                    rsa::Pss::new_with_salt::<sha2::Sha384>(s),
                    &hashed,
                    signature,
                ),
                (Scheme::Pss(s), DigestAlg::Sha512) => pk.verify(
                    rsa::Pss::new_with_salt::<sha2::Sha512>(s),
                    &hashed,
                    signature,
                ),
                (Scheme::Ecdsa, _) => unreachable!("handled below"),
            };
            res.map_err(|_| SigError::Bad("RSA signature does not verify".into()))?;
            Ok(match scheme {
                Scheme::Pss(_) => "RSA-PSS",
                _ => "RSA PKCS#1 v1.5",
            })
        }
        Scheme::Ecdsa => {
            if key.algorithm.oid != OID_EC_PUBLIC_KEY {
                return Err(SigError::Bad(
                    "ECDSA signature but the key is not EC".into(),
                ));
            }
            let curve = key
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            let point = key.subject_public_key.raw_bytes();
            match curve {
                Some(OID_P256) => {
                    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|e| SigError::Bad(format!("P-256 key: {e}")))?;
                    let sig = p256::ecdsa::Signature::from_der(signature)
                        .map_err(|e| SigError::Bad(format!("ECDSA signature encoding: {e}")))?;
                    let sig = sig.normalize_s().unwrap_or(sig);
                    vk.verify_prehash(&hashed, &sig)
                        .map_err(|_| SigError::Bad("ECDSA signature does not verify".into()))?;
                    Ok("ECDSA P-256")
                }
                Some(OID_P384) => {
                    let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                        .map_err(|e| SigError::Bad(format!("P-384 key: {e}")))?;
                    let sig = p384::ecdsa::Signature::from_der(signature)
                        .map_err(|e| SigError::Bad(format!("ECDSA signature encoding: {e}")))?;
                    let sig = sig.normalize_s().unwrap_or(sig);
                    vk.verify_prehash(&hashed, &sig)
                        .map_err(|_| SigError::Bad("ECDSA signature does not verify".into()))?;
                    Ok("ECDSA P-384")
                }
                other => Err(SigError::Unsupported(format!(
                    "elliptic curve {}",
                    other.map_or_else(|| "unnamed".to_owned(), |o| oid_name(&o))
                ))),
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Scheme {
    Pkcs1,
    Pss(usize),
    Ecdsa,
}

pub(crate) fn oid_name(oid: &ObjectIdentifier) -> String {
    const_oid::db::DB
        .by_oid(oid)
        .map_or_else(|| oid.to_string(), str::to_owned)
}

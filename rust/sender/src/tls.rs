//! TLS: a client configuration verifying against the roots the caller names, or no certificate
//! verification at all.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Accepts any certificate (`verify=False`) but still checks handshake signatures.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Where trusted root certificates come from. The caller decides (pusher-fast's Python layer
/// applies one policy for every transport: `SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi's
/// bundle, or the user's own bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// A PEM file of certificates.
    Bundle(PathBuf),
    /// A directory of PEM files (OpenSSL's hashed layout works; other files are skipped).
    Directory(PathBuf),
}

/// Why a TLS configuration could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSetupError(pub String);

impl fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsSetupError {}

/// A client TLS configuration: verification against `roots`, or none at all (`None`).
///
/// A server certificate that is itself one of the roots is accepted even when it is a CA
/// certificate (a self-signed certificate given as its own CA), as OpenSSL — and so httpx —
/// accepts it; webpki alone refuses it as `CaUsedAsEndEntity`. Its name is still checked, and
/// webpki checks its validity period before that refusal.
pub fn client_config(roots: Option<&Roots>) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsSetupError(format!("TLS setup failed: {error}")))?;
    let mut config = match roots {
        Some(roots) => {
            let certificates = load(roots)?;
            let mut store = RootCertStore::empty();
            let (added, _ignored) = store.add_parsable_certificates(certificates.iter().cloned());
            if added == 0 {
                return Err(TlsSetupError(format!(
                    "{} holds no usable certificate",
                    roots.describe()
                )));
            }
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), Arc::clone(&provider))
                    .build()
                    .map_err(|error| TlsSetupError(format!("TLS setup failed: {error}")))?;
            let verifier = TrustedRootsAsLeaves {
                webpki,
                roots: certificates,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl Roots {
    fn describe(&self) -> String {
        match self {
            Self::Bundle(path) => format!("the CA bundle {path:?}"),
            Self::Directory(path) => format!("the CA directory {path:?}"),
        }
    }
}

/// Every certificate of `roots`.
fn load(roots: &Roots) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    match roots {
        Roots::Bundle(path) => pem_file(path)
            .map_err(|why| TlsSetupError(format!("cannot use {}: {why}", roots.describe()))),
        Roots::Directory(path) => {
            let entries = std::fs::read_dir(path).map_err(|error| {
                TlsSetupError(format!("cannot use {}: {error}", roots.describe()))
            })?;
            let mut certificates = Vec::new();
            for entry in entries.flatten() {
                // Whatever is not a readable PEM file (an index, a README) is not a root.
                if let Ok(found) = pem_file(&entry.path()) {
                    certificates.extend(found);
                }
            }
            Ok(certificates)
        }
    }
}

fn pem_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|error| error.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| error.to_string())?;
    if certificates.is_empty() {
        return Err("no PEM certificate in it".to_owned());
    }
    Ok(certificates)
}

/// webpki's verification, plus OpenSSL's acceptance of a server certificate that is itself a
/// trusted root.
#[derive(Debug)]
struct TrustedRootsAsLeaves {
    webpki: Arc<WebPkiServerVerifier>,
    roots: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for TrustedRootsAsLeaves {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refusal = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(refusal) => refusal,
        };
        let is_trusted_root = self
            .roots
            .iter()
            .any(|root| root.as_ref() == end_entity.as_ref());
        if !(is_trusted_root && is_ca_used_as_end_entity(&refusal)) {
            return Err(refusal);
        }
        // webpki checked the validity period before refusing a CA certificate as a leaf; the
        // name is what is left to check.
        let certificate =
            webpki::EndEntityCert::try_from(end_entity).map_err(|_| refusal.clone())?;
        certificate
            .verify_is_valid_for_subject_name(server_name)
            .map_err(|_| {
                rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
            })?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

fn is_ca_used_as_end_entity(error: &rustls::Error) -> bool {
    match error {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

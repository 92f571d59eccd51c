//! TLS set-up for the HTTP client: the platform's root certificates are loaded on the first
//! TLS handshake, not when a client is built.
//!
//! reqwest's default rustls set-up reads every certificate of the system store (on Debian, the
//! bundle and each of the ~150 files of `/etc/ssl/certs`) while the client is *built*. A CLI run
//! answered from the HTTP cache makes no request at all, and a run against the emulator or a
//! plain-HTTP proxy makes no handshake, yet both paid for that read. [`client_config`] gives the
//! same verification (rustls-platform-verifier: the system's roots, hostname checks, the same
//! signature algorithms) behind a verifier that loads the roots once, when first asked.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;

use crate::error::{Error, Result};

/// The crypto provider of client connections: *ring*, or aws-lc-rs with the `aws-lc-rs` feature
/// (which adds the X25519MLKEM768 post-quantum key exchange). Both offer TLS 1.3 and 1.2 with
/// the same cipher suites.
#[cfg(not(feature = "aws-lc-rs"))]
fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

#[cfg(feature = "aws-lc-rs")]
fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// A rustls client configuration that verifies servers against the platform's roots, loaded
/// lazily, and offers HTTP/2 and HTTP/1.1 by ALPN.
pub(crate) fn client_config() -> Result<rustls::ClientConfig> {
    config_with(|provider| Arc::new(LazyPlatformVerifier::new(provider)))
}

/// [`client_config`] that accepts any server certificate (`verify_ssl = false`): what reqwest's
/// `danger_accept_invalid_certs` does, but with our provider, since reqwest has none of its own.
/// The server must still prove it holds the certificate's key (handshake signatures are checked).
pub(crate) fn insecure_client_config() -> Result<rustls::ClientConfig> {
    config_with(|provider| Arc::new(AnyCertificate(provider)))
}

/// The client configuration both set-ups share (our provider, safe protocol versions, no
/// client certificate, ALPN h2 then http/1.1), with the verifier `verifier` builds.
fn config_with(
    verifier: impl FnOnce(Arc<CryptoProvider>) -> Arc<dyn ServerCertVerifier>,
) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(provider());
    let verifier = verifier(provider.clone());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("cannot set up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = alpn();
    Ok(config)
}

/// The protocols offered by ALPN: HTTP/2 first when the `http2` feature built it in, then
/// HTTP/1.1 (a server must not be offered a protocol the client cannot speak).
fn alpn() -> Vec<Vec<u8>> {
    let mut protocols = Vec::with_capacity(2);
    if cfg!(feature = "http2") {
        protocols.push(b"h2".to_vec());
    }
    protocols.push(b"http/1.1".to_vec());
    protocols
}

/// Accepts every certificate chain and server name (see [`insecure_client_config`]).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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

/// The platform verifier, built (root certificates read) on first use.
#[derive(Debug)]
pub(crate) struct LazyPlatformVerifier {
    provider: Arc<CryptoProvider>,
    inner: OnceLock<std::result::Result<Verifier, rustls::Error>>,
}

impl LazyPlatformVerifier {
    pub(crate) fn new(provider: Arc<CryptoProvider>) -> Self {
        LazyPlatformVerifier {
            provider,
            inner: OnceLock::new(),
        }
    }

    /// Whether the root certificates have been loaded.
    #[cfg(test)]
    fn is_loaded(&self) -> bool {
        self.inner.get().is_some()
    }

    fn get(&self) -> std::result::Result<&Verifier, rustls::Error> {
        self.inner
            .get_or_init(|| Verifier::new(self.provider.clone()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.get()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // Asked when the ClientHello is written; the provider alone answers it, so no roots
        // are read before a server has actually presented a certificate.
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_loaded_on_first_verification_only() {
        let provider = Arc::new(provider());
        let v = LazyPlatformVerifier::new(provider.clone());
        assert!(!v.is_loaded());
        let schemes = v.supported_verify_schemes();
        assert!(!schemes.is_empty());
        assert!(!v.is_loaded(), "the ClientHello must not load the roots");

        let name = ServerName::try_from("api.spot.rackspace.com").unwrap();
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let err = v
            .verify_server_cert(&garbage, &[], &name, &[], UnixTime::now())
            .unwrap_err();
        assert!(v.is_loaded());
        // A certificate that is not one is rejected, as the platform verifier does (or, on a
        // machine without any system roots, the verifier says so at this point, not earlier).
        assert!(
            matches!(
                err,
                rustls::Error::InvalidCertificate(_) | rustls::Error::General(_)
            ),
            "unexpected error: {err:?}"
        );
    }

    #[test]
    fn offers_the_tls13_and_tls12_suites_and_key_exchanges() {
        let config = client_config().unwrap();
        let provider = config.crypto_provider();
        let groups: Vec<_> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert!(groups.contains(&rustls::NamedGroup::X25519), "{groups:?}");
        assert!(
            groups.contains(&rustls::NamedGroup::secp256r1),
            "{groups:?}"
        );
        #[cfg(feature = "aws-lc-rs")]
        assert!(
            groups.contains(&rustls::NamedGroup::X25519MLKEM768),
            "{groups:?}"
        );
        let suites: Vec<_> = provider.cipher_suites.iter().map(|s| s.suite()).collect();
        for suite in [
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
            rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ] {
            assert!(suites.contains(&suite), "{suite:?} missing from {suites:?}");
        }
    }

    #[test]
    fn offers_h2_only_when_built_in_then_http11() {
        let config = client_config().unwrap();
        let mut expected = vec![b"http/1.1".to_vec()];
        if cfg!(feature = "http2") {
            expected.insert(0, b"h2".to_vec());
        }
        assert_eq!(config.alpn_protocols, expected);
    }
}

//! Which server certificates the transport trusts, and how TLS failures are reported.
//!
//! By default a server must present a certificate that chains to a root of the system's
//! trust store and names the host. Certificates added with
//! [`TransportBuilder::add_root_certificate_pem`](crate::TransportBuilder::add_root_certificate_pem)
//! are trusted in two ways:
//!
//! * as roots: a server certificate signed by an added certificate (directly or through the
//!   intermediates the server sends) is accepted when it is within its validity period and
//!   valid for the host name;
//! * as exact certificates: a server that presents one of the added certificates itself, byte
//!   for byte, is accepted when that certificate is within its validity period and valid for
//!   the host name. This is what trusts the self-signed certificate of an appliance even when
//!   it is marked as a CA (`basicConstraints CA:TRUE`, what `openssl req -x509` produces),
//!   which the certificate path rules otherwise refuse as a server certificate.
//!
//! In both cases the server must prove, in the handshake, that it holds the certificate's
//! private key. Any other certificate is refused.
//!
//! With the `rustls` backend the rules above are implemented here (a rustls
//! `ServerCertVerifier` around the normal verifier). With the `native-tls` backend the
//! platform library applies the same rules itself (OpenSSL accepts a trusted self-signed
//! certificate as the whole chain). When both features are enabled, reqwest, and so this
//! crate, uses `native-tls`.

use crate::error::{Error, Result};

/// The certificates added by the caller, in the forms each backend needs.
#[derive(Default)]
pub(crate) struct RootCertificates {
    certs: Vec<reqwest::Certificate>,
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    ders: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl RootCertificates {
    /// Adds every certificate of a PEM document; fails when there is none or the PEM is
    /// unreadable.
    pub(crate) fn add_pem(&mut self, pem: &[u8]) -> Result<()> {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| Error::Config {
            message: "could not read the PEM certificate".into(),
            source: Some(Box::new(e)),
        })?;
        if certs.is_empty() {
            return Err(Error::config("the PEM document holds no certificate"));
        }
        #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
        {
            use rustls::pki_types::pem::PemObject;
            let ders = rustls::pki_types::CertificateDer::pem_slice_iter(pem)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::Config {
                    message: "could not read the PEM certificate".into(),
                    source: Some(Box::new(e)),
                })?;
            self.ders.extend(ders);
        }
        self.certs.extend(certs);
        Ok(())
    }

    /// How many certificates were added.
    pub(crate) fn len(&self) -> usize {
        self.certs.len()
    }
}

/// The TLS settings of a [`TransportBuilder`](crate::TransportBuilder).
pub(crate) struct TlsSettings {
    /// The certificates added by the caller.
    pub(crate) roots: RootCertificates,
    /// Trust the system's roots as well as the added certificates.
    pub(crate) built_in_roots: bool,
    /// Accept any certificate.
    pub(crate) accept_invalid_certs: bool,
    /// Do not check that the certificate names the host.
    pub(crate) accept_invalid_hostnames: bool,
}

/// Configures which server certificates `builder` trusts.
///
/// With only system roots, or with verification turned off, this is reqwest's own
/// configuration. With added certificates under rustls, the client gets a rustls
/// configuration whose verifier also accepts an added certificate presented as is.
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
    settings: TlsSettings,
) -> Result<reqwest::ClientBuilder> {
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    if !settings.accept_invalid_certs && !settings.roots.ders.is_empty() {
        let config = rustls_backend::client_config(&settings)?;
        return Ok(builder.tls_backend_preconfigured(config));
    }
    Ok(reqwest_configuration(builder, settings))
}

/// reqwest's own trust settings: the added certificates merged with the system roots, or
/// alone when the system roots are off or host names are not checked (rustls can skip the
/// host name check only with an explicit root list).
fn reqwest_configuration(
    builder: reqwest::ClientBuilder,
    settings: TlsSettings,
) -> reqwest::ClientBuilder {
    let builder = builder.tls_danger_accept_invalid_certs(settings.accept_invalid_certs);
    if settings.accept_invalid_hostnames || !settings.built_in_roots {
        builder
            .tls_danger_accept_invalid_hostnames(settings.accept_invalid_hostnames)
            .tls_certs_only(settings.roots.certs)
    } else {
        builder.tls_certs_merge(settings.roots.certs)
    }
}

/// When `error` is a TLS failure that trying again cannot fix (the certificate was refused,
/// the handshake failed on protocol grounds), says why; `None` for everything else,
/// including connections reset during the handshake.
pub(crate) fn handshake_failure(error: &reqwest::Error) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(reason) = tls_reason(e) {
            return Some(reason);
        }
        next = match e.downcast_ref::<std::io::Error>() {
            // `io::Error::source` skips the error it wraps: step into that error instead.
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => e.source(),
            },
            None => e.source(),
        };
    }
    None
}

fn tls_reason(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    #[cfg(feature = "rustls")]
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(match tls {
            rustls::Error::InvalidCertificate(_) => {
                format!("the server's certificate is not trusted ({tls})")
            }
            _ => tls.to_string(),
        });
    }
    #[cfg(feature = "native-tls")]
    if let Some(tls) = e.downcast_ref::<native_tls::Error>() {
        // An I/O error below the TLS error is a broken connection, which may be retried.
        let mut source = std::error::Error::source(tls);
        while let Some(s) = source {
            if s.is::<std::io::Error>() {
                return None;
            }
            source = s.source();
        }
        let text = tls.to_string();
        // OpenSSL's wording for a refused certificate; other platforms' libraries word
        // it their own way and are reported as they are.
        return Some(if text.contains("certificate verify failed") {
            format!("the server's certificate is not trusted ({text})")
        } else {
            text
        });
    }
    let _ = e;
    None
}

#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
mod rustls_backend {
    //! The rustls configuration used when certificates were added.

    use std::fmt;
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::{
        WebPkiServerVerifier, verify_server_cert_signed_by_trust_anchor, verify_server_name,
    };
    use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::server::ParsedCertificate;
    use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

    use super::{TlsSettings, validity};
    use crate::error::{Error, Result};

    /// A client configuration like reqwest's own (same provider, protocol versions and
    /// ALPN), with [`AddedCertsVerifier`] as the certificate verifier.
    pub(super) fn client_config(settings: &TlsSettings) -> Result<rustls::ClientConfig> {
        // reqwest's choice: a process-wide default if one was installed, else aws-lc-rs.
        let provider = CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
        let verifier = AddedCertsVerifier::new(settings, provider.clone())?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(|e| tls_config_error("unsupported TLS protocol versions", e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    fn tls_config_error(
        message: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::Config {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// How a certificate chain is checked before the exact-certificate rule.
    enum ChainCheck {
        /// System roots and the added certificates, host name checked.
        Platform(rustls_platform_verifier::Verifier),
        /// Only the added certificates, host name checked.
        Roots(Arc<WebPkiServerVerifier>),
        /// Only the added certificates, host name not checked.
        RootsAnyName(RootCertStore),
    }

    /// Verifies the server's certificate chain as usual, and when that fails accepts a
    /// server certificate that is byte for byte one of the added certificates, within its
    /// validity period and (unless turned off) valid for the host name.
    pub(super) struct AddedCertsVerifier {
        chain: ChainCheck,
        added: Vec<CertificateDer<'static>>,
        check_hostname: bool,
        algorithms: WebPkiSupportedAlgorithms,
    }

    impl fmt::Debug for AddedCertsVerifier {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let chain = match self.chain {
                ChainCheck::Platform(_) => "system and added roots",
                ChainCheck::Roots(_) => "added roots",
                ChainCheck::RootsAnyName(_) => "added roots, any host name",
            };
            f.debug_struct("AddedCertsVerifier")
                .field("chain", &chain)
                .field("added", &self.added.len())
                .field("check_hostname", &self.check_hostname)
                .finish()
        }
    }

    impl AddedCertsVerifier {
        pub(super) fn new(settings: &TlsSettings, provider: Arc<CryptoProvider>) -> Result<Self> {
            let added = settings.roots.ders.clone();
            let algorithms = provider.signature_verification_algorithms;
            let chain = if settings.accept_invalid_hostnames || !settings.built_in_roots {
                let mut roots = RootCertStore::empty();
                for cert in &added {
                    roots.add(cert.clone()).map_err(|e| {
                        tls_config_error("the certificate cannot be a trust root", e)
                    })?;
                }
                if settings.accept_invalid_hostnames {
                    ChainCheck::RootsAnyName(roots)
                } else {
                    let verifier =
                        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                            .build()
                            .map_err(|e| {
                                tls_config_error("could not set up certificate verification", e)
                            })?;
                    ChainCheck::Roots(verifier)
                }
            } else {
                ChainCheck::Platform(platform_verifier(added.clone(), provider)?)
            };
            Ok(AddedCertsVerifier {
                chain,
                added,
                check_hostname: !settings.accept_invalid_hostnames,
                algorithms,
            })
        }

        /// The rule for a server certificate that is one of the added certificates.
        fn verify_added(
            &self,
            end_entity: &CertificateDer<'_>,
            server_name: &ServerName<'_>,
            now: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            let (not_before, not_after) = validity(end_entity.as_ref()).ok_or(
                rustls::Error::InvalidCertificate(CertificateError::BadEncoding),
            )?;
            let time = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
            let outside = if time < not_before {
                Some(match unix_time(not_before) {
                    Some(not_before) => CertificateError::NotValidYetContext {
                        time: now,
                        not_before,
                    },
                    None => CertificateError::NotValidYet,
                })
            } else if time > not_after {
                Some(match unix_time(not_after) {
                    Some(not_after) => CertificateError::ExpiredContext {
                        time: now,
                        not_after,
                    },
                    None => CertificateError::Expired,
                })
            } else {
                None
            };
            if let Some(e) = outside {
                return Err(rustls::Error::InvalidCertificate(e));
            }
            if self.check_hostname {
                let parsed = ParsedCertificate::try_from(end_entity)?;
                verify_server_name(&parsed, server_name)?;
            }
            Ok(ServerCertVerified::assertion())
        }
    }

    fn unix_time(secs: i64) -> Option<UnixTime> {
        let secs = u64::try_from(secs).ok()?;
        Some(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            secs,
        )))
    }

    #[cfg(any(all(unix, not(target_os = "android")), target_os = "windows"))]
    fn platform_verifier(
        added: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<rustls_platform_verifier::Verifier> {
        rustls_platform_verifier::Verifier::new_with_extra_roots(added, provider)
            .map_err(|e| tls_config_error("could not load the system's root certificates", e))
    }

    #[cfg(not(any(all(unix, not(target_os = "android")), target_os = "windows")))]
    fn platform_verifier(
        _: Vec<CertificateDer<'static>>,
        _: Arc<CryptoProvider>,
    ) -> Result<rustls_platform_verifier::Verifier> {
        Err(Error::config(
            "on this platform added certificates cannot be combined with the system's roots; \
             turn the system's roots off with tls_built_in_roots(false)",
        ))
    }

    impl ServerCertVerifier for AddedCertsVerifier {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            let chain = match &self.chain {
                ChainCheck::Platform(v) => {
                    v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                }
                ChainCheck::Roots(v) => {
                    v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                }
                ChainCheck::RootsAnyName(roots) => ParsedCertificate::try_from(end_entity)
                    .and_then(|cert| {
                        verify_server_cert_signed_by_trust_anchor(
                            &cert,
                            roots,
                            intermediates,
                            now,
                            self.algorithms.all,
                        )
                    })
                    .map(|()| ServerCertVerified::assertion()),
            };
            match chain {
                Ok(verified) => Ok(verified),
                Err(e) if self.added.iter().any(|c| c.as_ref() == end_entity.as_ref()) => {
                    tracing::debug!(error = %e, "no chain to a trusted root; the server presented an added certificate");
                    self.verify_added(end_entity, server_name, now)
                }
                Err(e) => Err(e),
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    }
}

/// The validity period of a DER certificate as (notBefore, notAfter) in seconds since the
/// Unix epoch; `None` when the certificate cannot be read that far. Never panics.
///
/// Reads `Certificate.tbsCertificate.validity` (RFC 5280, 4.1.2.5): each bound is a
/// `UTCTime` (`YYMMDDHHMMSSZ`, years 50–99 meaning 19xx) or a `GeneralizedTime`
/// (`YYYYMMDDHHMMSSZ`), in UTC with seconds and without fractions, as RFC 5280 requires.
#[cfg_attr(
    not(all(feature = "rustls", not(feature = "native-tls"))),
    allow(dead_code)
)]
pub(crate) fn validity(cert: &[u8]) -> Option<(i64, i64)> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const VERSION: u8 = 0xa0;
    let mut outer = Der(cert);
    let certificate = outer.expect(SEQUENCE)?;
    let tbs = Der(certificate).expect(SEQUENCE)?;
    let mut tbs = Der(tbs);
    let (tag, _) = tbs.read()?;
    if tag == VERSION {
        tbs.expect(INTEGER)?; // serialNumber
    } else if tag != INTEGER {
        return None;
    }
    tbs.expect(SEQUENCE)?; // signature
    tbs.expect(SEQUENCE)?; // issuer
    let mut validity = Der(tbs.expect(SEQUENCE)?);
    let not_before = der_time(validity.read()?)?;
    let not_after = der_time(validity.read()?)?;
    validity.0.is_empty().then_some((not_before, not_after))
}

/// A cursor over DER elements with single-byte tags.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The next element's tag and value.
    fn read(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.0.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // multi-byte tags do not occur where this reader looks
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None; // indefinite length (not DER), or longer than any certificate
            }
            let bytes = rest.get(..count)?;
            let len = bytes
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b));
            (len, rest.get(count..)?)
        };
        let value = rest.get(..len)?;
        self.0 = rest.get(len..)?;
        Some((tag, value))
    }

    /// The next element's value, if it has this tag.
    fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.read()? {
            (t, value) if t == tag => Some(value),
            _ => None,
        }
    }
}

/// Seconds since the Unix epoch of a DER `UTCTime` (tag 0x17) or `GeneralizedTime` (0x18).
fn der_time((tag, value): (u8, &[u8])) -> Option<i64> {
    const UTC_TIME: u8 = 0x17;
    const GENERALIZED_TIME: u8 = 0x18;
    let (year, rest) = match (tag, value.len()) {
        (UTC_TIME, 13) => {
            let yy = i32::from(two_digits(value.get(..2)?)?);
            (
                if yy >= 50 { 1900 + yy } else { 2000 + yy },
                value.get(2..)?,
            )
        }
        (GENERALIZED_TIME, 15) => {
            let high = i32::from(two_digits(value.get(..2)?)?);
            let low = i32::from(two_digits(value.get(2..4)?)?);
            (high * 100 + low, value.get(4..)?)
        }
        _ => return None,
    };
    // rest is MMDDHHMMSSZ
    if rest.get(10) != Some(&b'Z') {
        return None;
    }
    let field = |i: usize| rest.get(i..i + 2).and_then(two_digits);
    let month = time::Month::try_from(field(0)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, field(2)?).ok()?;
    let time = time::Time::from_hms(field(4)?, field(6)?, field(8)?).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

fn two_digits(digits: &[u8]) -> Option<u8> {
    match digits {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> (u8, &[u8]) {
        (0x17, s.as_bytes())
    }

    fn generalized(s: &str) -> (u8, &[u8]) {
        (0x18, s.as_bytes())
    }

    #[test]
    fn times_are_read_as_rfc_5280_says() {
        assert_eq!(der_time(utc("700101000000Z")), Some(0));
        assert_eq!(der_time(utc("491231235959Z")), Some(2_524_607_999));
        assert_eq!(der_time(utc("500101000000Z")), Some(-631_152_000));
        assert_eq!(der_time(generalized("19700101000001Z")), Some(1));
        assert_eq!(
            der_time(generalized("99991231235959Z")),
            Some(253_402_300_799)
        );
        assert_eq!(
            der_time(generalized("20240229120000Z")),
            Some(1_709_208_000)
        );
    }

    #[test]
    fn malformed_times_are_refused() {
        for bad in [
            "",
            "7001010000Z",       // no seconds
            "700101000000",      // no zone
            "700101000000+0100", // offset
            "701301000000Z",     // month 13
            "700132000000Z",     // day 32
            "230229000000Z",     // not a leap year
            "700101240000Z",     // hour 24
            "700101006000Z",     // minute 60
            "7001010000-1Z",     // sign
            "７01010000Z",       // non-ASCII
        ] {
            assert_eq!(der_time(utc(bad)), None, "{bad:?}");
        }
        assert_eq!(der_time(generalized("19700101000000.5Z")), None);
        assert_eq!(der_time(generalized("700101000000Z")), None);
        assert_eq!(der_time(utc("19700101000000Z")), None);
        assert_eq!(der_time((0x04, b"700101000000Z")), None);
    }

    /// A DER element with a definite length.
    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match value.len() {
            n @ 0..=0x7f => out.push(n as u8),
            n @ 0x80..=0xff => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(value);
        out
    }

    fn certificate(version: bool, not_before: &[u8], not_after: &[u8]) -> Vec<u8> {
        let mut tbs = Vec::new();
        if version {
            tbs.extend(tlv(0xa0, &tlv(0x02, &[2])));
        }
        tbs.extend(tlv(0x02, &[0x01, 0x23]));
        tbs.extend(tlv(0x30, &tlv(0x06, &[0x2a, 0x03])));
        tbs.extend(tlv(0x30, &[b'x'; 200])); // a long issuer: two-byte length
        tbs.extend(tlv(0x30, &[not_before, not_after].concat()));
        tbs.extend(tlv(0x30, b"subject and the rest"));
        let mut cert = tlv(0x30, &tbs);
        cert.extend(tlv(0x30, &tlv(0x06, &[0x2a, 0x03])));
        cert.extend(tlv(0x03, &[0, 1, 2]));
        tlv(0x30, &cert)
    }

    #[test]
    fn validity_is_read_from_the_certificate() {
        let nb = tlv(0x17, b"700101000000Z");
        let na = tlv(0x18, b"20500101000000Z");
        let expected = Some((0, 2_524_608_000));
        assert_eq!(validity(&certificate(true, &nb, &na)), expected);
        assert_eq!(validity(&certificate(false, &nb, &na)), expected);
    }

    #[test]
    fn malformed_certificates_give_none_without_panicking() {
        let nb = tlv(0x17, b"700101000000Z");
        let na = tlv(0x18, b"20500101000000Z");
        let good = certificate(true, &nb, &na);
        // Every truncation and every single-byte change either reads or gives None.
        for len in 0..good.len() {
            assert_eq!(validity(&good[..len]), None, "truncated to {len}");
        }
        for i in 0..good.len() {
            for b in [0x00, 0x1f, 0x30, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xff] {
                let mut bad = good.clone();
                bad[i] = b;
                let _ = validity(&bad);
            }
        }
        // A third time in the validity sequence, or only one.
        let three = certificate(true, &[nb.clone(), nb.clone()].concat(), &na);
        assert_eq!(validity(&three), None);
        assert_eq!(validity(&certificate(true, &nb, &[])), None);
        // Lengths longer than the input, indefinite lengths, multi-byte tags.
        assert_eq!(validity(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(validity(&[0x30, 0x80, 0x00, 0x00]), None);
        assert_eq!(validity(&[0x30, 0x85, 1, 0, 0, 0, 0]), None);
        assert_eq!(validity(&[0x3f, 0x01, 0x00]), None);
        assert_eq!(validity(b"not a certificate"), None);
    }

    #[test]
    fn utc_times_on_both_bounds() {
        let nb = tlv(0x17, b"240101000000Z");
        let na = tlv(0x17, b"240102000000Z");
        assert_eq!(
            validity(&certificate(true, &nb, &na)),
            Some((1_704_067_200, 1_704_153_600))
        );
    }
}

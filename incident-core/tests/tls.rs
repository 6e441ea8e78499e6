//! Which server certificates the transport trusts, against a real TLS server on 127.0.0.1
//! with certificates made for each test: an appliance's self-signed certificate (marked as a
//! CA, as `openssl req -x509` makes it, or not), a private CA and its leaf, expired and
//! misnamed certificates. Runs with either backend:
//! `cargo test -p incident-core --test tls` (rustls) and
//! `cargo test -p incident-core --features native-tls --test tls` (native-tls).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use incident_core::time::{Duration, OffsetDateTime};
use incident_core::{ApiPath, ApiRequest, Error, TransportBuilder};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate and its private key.
struct Cert {
    der: CertificateDer<'static>,
    pem: String,
    key: KeyPair,
}

fn params(names: &[&str], name: &str, ca: bool) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
    }
    params
}

fn self_signed(params: CertificateParams) -> Cert {
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Cert {
        der: cert.der().clone(),
        pem: cert.pem(),
        key,
    }
}

/// What `openssl req -x509 -subj /CN=localhost -addext subjectAltName=...` gives an
/// appliance: self-signed, `basicConstraints CA:TRUE`, valid for localhost and 127.0.0.1.
fn appliance() -> Cert {
    self_signed(params(&["localhost", "127.0.0.1"], "localhost", true))
}

/// A private CA and a leaf it signed for localhost and 127.0.0.1.
fn private_ca() -> (Cert, Cert) {
    let ca_params = params(&[], "Private Test CA", true);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = params(&["localhost", "127.0.0.1"], "localhost", false)
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let ca = Cert {
        der: ca_cert.der().clone(),
        pem: ca_cert.pem(),
        key: KeyPair::generate().unwrap(), // not used: the CA does not serve
    };
    let leaf = Cert {
        der: leaf.der().clone(),
        pem: leaf.pem(),
        key: leaf_key,
    };
    (ca, leaf)
}

/// A TLS server answering every request with `200 {"ok":true}`; counts connections.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Server {
    /// Serves `chain` (leaf first) with the leaf's key.
    async fn start(chain: Vec<CertificateDer<'static>>, key: &KeyPair) -> Server {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        // An explicit provider: this test build enables two rustls providers.
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = r#"{"ok":true}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(answer.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Server { port, connections }
    }

    async fn serving(cert: &Cert) -> Server {
        Server::start(vec![cert.der.clone()], &cert.key).await
    }

    fn url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.port)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Sends one GET through a transport made by `builder`.
async fn call(builder: TransportBuilder) -> Result<(), Error> {
    let transport = builder.build()?;
    let resp = transport
        .execute(ApiRequest::get(ApiPath::new("/ok")))
        .await?;
    assert_eq!(resp.body(), br#"{"ok":true}"#);
    Ok(())
}

fn builder(server: &Server, host: &str) -> TransportBuilder {
    TransportBuilder::new("Test", server.url(host))
}

#[track_caller]
fn assert_refused(result: Result<(), Error>) -> Error {
    let err = result.expect_err("the certificate must be refused");
    assert!(
        matches!(err, Error::Tls { .. }),
        "expected a TLS error, got {err:?}"
    );
    assert!(std::error::Error::source(&err).is_some());
    err
}

#[tokio::test]
async fn self_signed_ca_flagged_appliance_certificate_is_trusted() {
    let cert = appliance();
    let server = Server::serving(&cert).await;
    for host in ["127.0.0.1", "localhost"] {
        // With the system roots (the default), and with the added certificate alone.
        call(builder(&server, host).add_root_certificate_pem(cert.pem.as_bytes()))
            .await
            .unwrap();
        call(
            builder(&server, host)
                .add_root_certificate_pem(cert.pem.as_bytes())
                .tls_built_in_roots(false),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn another_self_signed_certificate_is_refused() {
    let served = appliance();
    let other = appliance();
    let server = Server::serving(&served).await;
    for built_in in [true, false] {
        let err = assert_refused(
            call(
                builder(&server, "127.0.0.1")
                    .add_root_certificate_pem(other.pem.as_bytes())
                    .tls_built_in_roots(built_in),
            )
            .await,
        );
        assert!(err.to_string().contains("not trusted"), "{err}");
    }
    // Trusting the other certificate's hostname check away changes nothing.
    assert_refused(
        call(
            builder(&server, "127.0.0.1")
                .add_root_certificate_pem(other.pem.as_bytes())
                .danger_accept_invalid_hostnames(true),
        )
        .await,
    );
}

#[tokio::test]
async fn expired_appliance_certificate_is_refused() {
    let mut params = params(&["localhost", "127.0.0.1"], "localhost", true);
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(30);
    params.not_after = now - Duration::days(1);
    let cert = self_signed(params);
    let server = Server::serving(&cert).await;
    for built_in in [true, false] {
        let err = assert_refused(
            call(
                builder(&server, "localhost")
                    .add_root_certificate_pem(cert.pem.as_bytes())
                    .tls_built_in_roots(built_in),
            )
            .await,
        );
        assert!(err.to_string().contains("expired"), "{err}");
    }
    // Not checking the host name does not make an expired certificate acceptable.
    assert_refused(
        call(
            builder(&server, "localhost")
                .add_root_certificate_pem(cert.pem.as_bytes())
                .danger_accept_invalid_hostnames(true),
        )
        .await,
    );
}

#[tokio::test]
async fn not_yet_valid_appliance_certificate_is_refused() {
    let mut params = params(&["localhost", "127.0.0.1"], "localhost", true);
    let now = OffsetDateTime::now_utc();
    params.not_before = now + Duration::days(1);
    params.not_after = now + Duration::days(30);
    let cert = self_signed(params);
    let server = Server::serving(&cert).await;
    assert_refused(
        call(builder(&server, "localhost").add_root_certificate_pem(cert.pem.as_bytes())).await,
    );
}

#[tokio::test]
async fn certificate_for_another_host_is_refused_unless_host_names_are_not_checked() {
    for ca in [true, false] {
        let cert = self_signed(params(&["other.example"], "other.example", ca));
        let server = Server::serving(&cert).await;
        for host in ["127.0.0.1", "localhost"] {
            assert_refused(
                call(builder(&server, host).add_root_certificate_pem(cert.pem.as_bytes())).await,
            );
            call(
                builder(&server, host)
                    .add_root_certificate_pem(cert.pem.as_bytes())
                    .danger_accept_invalid_hostnames(true),
            )
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn private_ca_and_its_leaf() {
    let (ca, leaf) = private_ca();
    // The server sends its leaf alone.
    let server = Server::serving(&leaf).await;
    call(builder(&server, "localhost").add_root_certificate_pem(ca.pem.as_bytes()))
        .await
        .unwrap();
    call(
        builder(&server, "127.0.0.1")
            .add_root_certificate_pem(ca.pem.as_bytes())
            .tls_built_in_roots(false),
    )
    .await
    .unwrap();
    // The leaf and the CA as one PEM bundle.
    let bundle = format!("{}{}", leaf.pem, ca.pem);
    call(builder(&server, "127.0.0.1").add_root_certificate_pem(bundle.as_bytes()))
        .await
        .unwrap();
    // The server sends its chain.
    let server = Server::start(vec![leaf.der.clone(), ca.der.clone()], &leaf.key).await;
    call(builder(&server, "localhost").add_root_certificate_pem(ca.pem.as_bytes()))
        .await
        .unwrap();
    // Another CA's certificate does not help.
    let (other_ca, _) = private_ca();
    assert_refused(
        call(builder(&server, "localhost").add_root_certificate_pem(other_ca.pem.as_bytes())).await,
    );
}

#[tokio::test]
async fn plain_self_signed_leaf_is_trusted() {
    let cert = self_signed(params(&["localhost", "127.0.0.1"], "localhost", false));
    let server = Server::serving(&cert).await;
    call(builder(&server, "127.0.0.1").add_root_certificate_pem(cert.pem.as_bytes()))
        .await
        .unwrap();
    call(
        builder(&server, "localhost")
            .add_root_certificate_pem(cert.pem.as_bytes())
            .tls_built_in_roots(false),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn nothing_added_nothing_trusted() {
    let cert = appliance();
    let server = Server::serving(&cert).await;
    assert_refused(call(builder(&server, "localhost")).await);
    assert_refused(call(builder(&server, "localhost").tls_built_in_roots(false)).await);
}

#[tokio::test]
async fn untrusted_certificate_is_tried_once() {
    let cert = appliance();
    let server = Server::serving(&cert).await;
    // The default retry policy retries connection failures of a GET.
    let err = assert_refused(call(builder(&server, "localhost")).await);
    assert_eq!(server.connections(), 1, "one TLS handshake, no retry");
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(text.contains("certificate is not trusted"), "{text}");
}

#[tokio::test]
async fn accept_invalid_certs_still_accepts_anything() {
    let mut params = params(&["other.example"], "other.example", true);
    params.not_after = OffsetDateTime::now_utc() - Duration::days(1);
    params.not_before = params.not_after - Duration::days(30);
    let cert = self_signed(params);
    let server = Server::serving(&cert).await;
    call(builder(&server, "127.0.0.1").danger_accept_invalid_certs(true))
        .await
        .unwrap();
    // Even with an unrelated certificate added.
    call(
        builder(&server, "127.0.0.1")
            .add_root_certificate_pem(appliance().pem.as_bytes())
            .danger_accept_invalid_certs(true),
    )
    .await
    .unwrap();
}

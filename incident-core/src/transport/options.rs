//! The transport options every vendor client builder offers, written once.

/// Adds the transport options (timeouts, deadline, retry, rate limit, TLS, proxy, prebuilt
/// client, response size) to a vendor client builder as inherent methods, forwarding to the
/// [`TransportBuilder`](crate::TransportBuilder) held in the named field. Each vendor
/// builder gets the same methods with the same documentation, without copying them.
///
/// ```
/// use incident_core::TransportBuilder;
///
/// /// Builds a client for some vendor.
/// #[derive(Debug)]
/// pub struct VendorBuilder {
///     transport: TransportBuilder,
/// }
///
/// impl VendorBuilder {
///     incident_core::transport_options!(transport);
/// }
///
/// let b = VendorBuilder { transport: TransportBuilder::new("Vendor", "https://example.com") }
///     .request_timeout(std::time::Duration::from_secs(5))
///     .no_proxy();
/// assert!(format!("{b:?}").contains("request_timeout: 5s"));
/// ```
#[macro_export]
macro_rules! transport_options {
    ($field:ident) => {
        /// Time allowed to open a connection (TCP and TLS). Default 10 s.
        pub fn connect_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field = self.$field.connect_timeout(timeout);
            self
        }

        /// Time allowed for one attempt of one request, body included. Default 60 s.
        pub fn request_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field = self.$field.request_timeout(timeout);
            self
        }

        /// Bounds one operation across all its attempts, retry waits, polls and logon.
        /// Default [`DEFAULT_DEADLINE`]($crate::transport::DEFAULT_DEADLINE).
        pub fn deadline(mut self, deadline: ::std::time::Duration) -> Self {
            self.$field = self.$field.deadline(deadline);
            self
        }

        /// The retry policy (default: 4 attempts, see
        /// [`RetryPolicy`]($crate::RetryPolicy)).
        pub fn retry_policy(mut self, policy: $crate::RetryPolicy) -> Self {
            self.$field = self.$field.retry_policy(policy);
            self
        }

        /// Limits the requests this client sends to its host: every attempt counts, a
        /// slot is taken only once the request's credentials are at hand, and callers wait
        /// in arrival order (see
        /// [`TransportBuilder::rate_limit`]($crate::TransportBuilder::rate_limit)).
        pub fn rate_limit(mut self, limit: $crate::RateLimit) -> Self {
            self.$field = self.$field.rate_limit(limit);
            self
        }

        /// Sends requests as fast as they come: removes the client's rate limit, the
        /// vendor's default included.
        pub fn no_rate_limit(mut self) -> Self {
            self.$field = self.$field.no_rate_limit();
            self
        }

        /// Trusts the certificate(s) of a PEM document, typically an appliance's
        /// self-signed certificate, in addition to the system roots. See
        /// [`TransportBuilder::add_root_certificate_pem`]($crate::TransportBuilder::add_root_certificate_pem).
        pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
            self.$field = self.$field.add_root_certificate_pem(pem);
            self
        }

        /// Whether the system's root certificates are trusted (default `true`).
        pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
            self.$field = self.$field.tls_built_in_roots(enabled);
            self
        }

        /// **Dangerous**: accepts any server certificate. See
        /// [`TransportBuilder::danger_accept_invalid_certs`]($crate::TransportBuilder::danger_accept_invalid_certs).
        pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
            self.$field = self.$field.danger_accept_invalid_certs(accept);
            self
        }

        /// **Dangerous**: accepts a trusted certificate issued for another name (appliance
        /// certificates often do not match the host name). See
        /// [`TransportBuilder::danger_accept_invalid_hostnames`]($crate::TransportBuilder::danger_accept_invalid_hostnames).
        pub fn danger_accept_invalid_hostnames(mut self, accept: bool) -> Self {
            self.$field = self.$field.danger_accept_invalid_hostnames(accept);
            self
        }

        /// Sends requests through this proxy (by default the environment's proxy settings
        /// apply).
        pub fn proxy(mut self, proxy: $crate::reqwest::Proxy) -> Self {
            self.$field = self.$field.proxy(proxy);
            self
        }

        /// Ignores proxy settings from the environment.
        pub fn no_proxy(mut self) -> Self {
            self.$field = self.$field.no_proxy();
            self
        }

        /// Uses a prebuilt `reqwest::Client`. See
        /// [`TransportBuilder::http_client`]($crate::TransportBuilder::http_client), also
        /// for what it means for redirects.
        pub fn http_client(mut self, client: $crate::reqwest::Client) -> Self {
            self.$field = self.$field.http_client(client);
            self
        }

        /// Largest response body accepted (default
        /// [`DEFAULT_MAX_RESPONSE_BYTES`]($crate::transport::DEFAULT_MAX_RESPONSE_BYTES)).
        pub fn max_response_bytes(mut self, limit: usize) -> Self {
            self.$field = self.$field.max_response_bytes(limit);
            self
        }

        /// Most items one answer may hold (default
        /// [`DEFAULT_MAX_ITEMS_PER_ANSWER`]($crate::paging::DEFAULT_MAX_ITEMS_PER_ANSWER)).
        /// See [`TransportBuilder::max_items_per_answer`]($crate::TransportBuilder::max_items_per_answer).
        pub fn max_items_per_answer(mut self, max: u64) -> Self {
            self.$field = self.$field.max_items_per_answer(max);
            self
        }
    };
}

/// Implements [`IntoFuture`](std::future::IntoFuture) for a request builder with an
/// `async fn send(self) -> Result<Output>`, so that callers may `.await` the builder
/// directly. Generic parameters go in brackets, bounds after `where`:
///
/// ```
/// use incident_core::Result;
///
/// /// A request for one answer.
/// #[derive(Debug)]
/// pub struct Ping<T>(T);
///
/// impl<T: Send + 'static> Ping<T> {
///     /// Sends it.
///     pub async fn send(self) -> Result<T> {
///         Ok(self.0)
///     }
/// }
///
/// incident_core::impl_into_future!([T] Ping<T> => T, where T: Send + 'static);
///
/// # async fn run() -> Result<()> {
/// assert_eq!(Ping(7).await?, 7);
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
/// ```
#[macro_export]
macro_rules! impl_into_future {
    ([$($g:ident),*] $ty:ty => $out:ty $(, where $($w:tt)+)?) => {
        impl<$($g),*> ::std::future::IntoFuture for $ty $(where $($w)+)? {
            type Output = $crate::Result<$out>;
            type IntoFuture = ::std::pin::Pin<
                ::std::boxed::Box<
                    dyn ::std::future::Future<Output = $crate::Result<$out>> + ::std::marker::Send,
                >,
            >;

            fn into_future(self) -> Self::IntoFuture {
                ::std::boxed::Box::pin(self.send())
            }
        }
    };
}

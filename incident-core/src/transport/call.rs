//! One way to describe an operation: a request and how its answer is read, with the
//! per-call options every operation of every vendor offers.
//!
//! A vendor crate returns a [`Call`] from each operation (or builds one in its typed
//! builder's `send`), so that every operation can be awaited directly and takes the same
//! options: [`deadline`](Call::deadline), [`retry_policy`](Call::retry_policy) and extra
//! [`header`](Call::header)s. A request that cannot be made (an id that would change the
//! path, a value out of range) is carried as its error and returned when the call is
//! awaited, before anything is sent.
//!
//! ```no_run
//! use std::time::Duration;
//! use incident_core::{ApiPath, ApiRequest, Call, RetryPolicy, Transport};
//!
//! #[derive(serde::Deserialize)]
//! struct Ticket { id: String }
//!
//! /// `GET /tickets/{id}`.
//! fn get_ticket(transport: &Transport, id: &str) -> Call<Ticket> {
//!     let request = ApiPath::new("/tickets").segment(id).map(ApiRequest::get);
//!     Call::json(transport, request)
//! }
//!
//! # async fn run(transport: Transport) -> incident_core::Result<()> {
//! let ticket = get_ticket(&transport, "T-1")
//!     .deadline(Duration::from_secs(5))
//!     .retry_policy(RetryPolicy::disabled())
//!     .await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use super::{ApiRequest, ApiResponse, Transport};
use crate::error::Result;
use crate::retry::RetryPolicy;

/// The per-call options of an operation: a deadline, a retry policy and extra headers, each
/// replacing the client's for this call only. Typed builders keep one and hand it to their
/// [`Call`] ([`Call::options`]), or apply it to the requests of a walk
/// ([`apply`](Self::apply)); [`call_options!`](crate::call_options) writes their setters.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    deadline: Option<Duration>,
    retry: Option<RetryPolicy>,
    headers: HeaderMap,
}

impl CallOptions {
    /// Bounds the operation (every attempt, retry wait, poll and logon) by `deadline`
    /// instead of the client's.
    pub fn deadline(&mut self, deadline: Duration) -> &mut Self {
        self.deadline = Some(deadline);
        self
    }

    /// Uses this retry policy instead of the client's.
    pub fn retry_policy(&mut self, retry: RetryPolicy) -> &mut Self {
        self.retry = Some(retry);
        self
    }

    /// Sends this header too (a correlation id, say). It never replaces the credentials:
    /// they are attached after it.
    pub fn header(&mut self, name: HeaderName, value: HeaderValue) -> &mut Self {
        self.headers.insert(name, value);
        self
    }

    /// The request with these options applied.
    pub fn apply(&self, mut request: ApiRequest) -> ApiRequest {
        if let Some(deadline) = self.deadline {
            request = request.deadline(deadline);
        }
        if let Some(retry) = self.retry {
            request = request.retry_policy(retry);
        }
        for (name, value) in &self.headers {
            request = request.header(name.clone(), value.clone());
        }
        request
    }
}

/// How an answer becomes the operation's output.
type Decode<T> = Box<dyn FnOnce(&ApiResponse) -> Result<T> + Send>;

/// One operation: its request (or why it cannot be made), how its answer is read, and its
/// per-call options. Await it, or call [`send`](Self::send). See the
/// [module documentation](self).
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<T> {
    transport: Transport,
    request: Result<ApiRequest>,
    decode: Decode<T>,
    options: CallOptions,
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("request", &self.request)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Call<T> {
    /// A call sending `request` and reading its answer with `decode`.
    pub fn new(
        transport: &Transport,
        request: Result<ApiRequest>,
        decode: impl FnOnce(&ApiResponse) -> Result<T> + Send + 'static,
    ) -> Self {
        Call {
            transport: transport.clone(),
            request,
            decode: Box::new(decode),
            options: CallOptions::default(),
        }
    }

    /// A call whose answer is `T` as JSON ([`ApiResponse::json`]).
    pub fn json(transport: &Transport, request: Result<ApiRequest>) -> Self
    where
        T: DeserializeOwned,
    {
        Call::new(transport, request, ApiResponse::json)
    }

    /// A call whose answer is a page of at most `max_items` items, counted while decoded
    /// ([`decode_page`](crate::paging::decode_page)).
    pub fn page(transport: &Transport, request: Result<ApiRequest>, max_items: Option<u64>) -> Self
    where
        T: DeserializeOwned,
    {
        Call::new(transport, request, move |response| {
            crate::paging::decode_page(response, max_items)
        })
    }

    /// A call whose output is `f` of this one's.
    pub fn and_then<U: Send + 'static>(
        self,
        f: impl FnOnce(T) -> Result<U> + Send + 'static,
    ) -> Call<U> {
        let decode = self.decode;
        Call {
            transport: self.transport,
            request: self.request,
            decode: Box::new(move |response| decode(response).and_then(f)),
            options: self.options,
        }
    }

    /// Replaces the per-call options (a typed builder hands over its own).
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Bounds this call (every attempt, retry wait, poll and logon) by `deadline` instead
    /// of the client's.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.options.deadline(deadline);
        self
    }

    /// Uses this retry policy for this call instead of the client's.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.options.retry_policy(retry);
        self
    }

    /// Sends this header too.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.options.header(name, value);
        self
    }

    /// The request as it will be sent (options applied), or why it cannot be.
    ///
    /// # Errors
    ///
    /// The error met while the request was built, most often
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an id that cannot be a path segment.
    pub fn request(&self) -> std::result::Result<ApiRequest, &crate::Error> {
        self.request.as_ref().map(|r| self.options.apply(r.clone()))
    }

    /// Sends the request and reads the answer.
    ///
    /// # Errors
    ///
    /// That same error; then what [`Transport::execute`] returns, and what decoding the answer
    /// returns ([`Error::Decode`](crate::Error::Decode) for a body of another shape).
    pub async fn send(self) -> Result<T> {
        let request = self.options.apply(self.request?);
        let response = self.transport.execute(request).await?;
        (self.decode)(&response)
    }
}

impl<T: Send + 'static> IntoFuture for Call<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Writes the per-call option setters (`deadline`, `retry_policy`, `header`) of a typed
/// request builder that keeps a [`CallOptions`] in `$field`, so that every operation of
/// every vendor offers the same options:
///
/// ```
/// use incident_core::CallOptions;
///
/// /// A request with parameters of its own.
/// #[derive(Debug, Default)]
/// pub struct ListTickets {
///     options: CallOptions,
/// }
///
/// impl ListTickets {
///     incident_core::call_options!(options);
/// }
///
/// let list = ListTickets::default().deadline(std::time::Duration::from_secs(5));
/// # let _ = list;
/// ```
#[macro_export]
macro_rules! call_options {
    ($field:ident) => {
        /// Bounds this operation (every attempt, retry wait, poll and logon) by `deadline`
        /// instead of the client's.
        pub fn deadline(mut self, deadline: ::std::time::Duration) -> Self {
            self.$field.deadline(deadline);
            self
        }

        /// Uses this retry policy for this operation instead of the client's.
        pub fn retry_policy(mut self, retry: $crate::RetryPolicy) -> Self {
            self.$field.retry_policy(retry);
            self
        }

        /// Sends this header too (a correlation id, say); never in place of the
        /// credentials.
        pub fn header(
            mut self,
            name: $crate::http::HeaderName,
            value: $crate::http::HeaderValue,
        ) -> Self {
            self.$field.header(name, value);
            self
        }
    };
}

/// Declares a handle on a group of operations, such as what a client's `incidents()`
/// returns: a `Debug + Clone` struct of one field (the client's
/// [`Transport`](crate::transport::Transport), or the client itself) with a crate-private
/// `new`. The operations go in an `impl` block of their own.
///
/// ```
/// use incident_core::transport::Transport;
///
/// incident_core::operations_handle! {
///     /// Ticket operations.
///     pub struct TicketsApi { transport: Transport }
/// }
///
/// impl TicketsApi {
///     /// The transport the operations use.
///     pub fn transport(&self) -> &Transport {
///         &self.transport
///     }
/// }
/// # let _ = TicketsApi::new;
/// ```
#[macro_export]
macro_rules! operations_handle {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $field:ident: $ty:ty $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        $vis struct $name {
            $field: $ty,
        }

        impl $name {
            /// A handle on these operations.
            pub(crate) fn new($field: $ty) -> Self {
                $name { $field }
            }
        }
    };
}

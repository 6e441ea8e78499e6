//! ESET Connect's documented rate limit, and the headers and lifetime of its pending-answer
//! protocol.

use std::time::Duration;

/// ESET Connect allows 10 API calls per second per API user, account and address; the
/// client paces itself to that by default, on the incident management host.
///
/// Token requests to the IAM host are not counted and never wait for a slot: ESET documents
/// the limit for the Connect API, and the IAM is another service on another host. The
/// client asks it for a token once per token lifetime (an hour), one request however many
/// calls are waiting for it, so no limit there could be reached; and a token request that
/// queued behind the calls waiting for the token would stall them all.
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 10;

/// How long a pending (202) answer stays retrievable on ESET's side; the default operation
/// deadline, so that a slow query can be polled, and repeated after a 504, within it.
pub const PENDING_ANSWER_LIFETIME: Duration = Duration::from_secs(600);

/// The request and response header of ESET's pending-answer protocol.
pub const RESPONSE_ID: &str = "response-id";

/// The response header with the id to quote to ESET support.
pub const REQUEST_ID: &str = "request-id";

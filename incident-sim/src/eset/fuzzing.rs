use super::query::{Filter, Order, page_token, read_page_token};
use super::state::State;

thread_local! {
    static STATE: State = State::seeded(24, 7);
}

/// Lists the incidents of a small seeded tenant as `GET /v2/incidents` does with these
/// `filter`, `orderBy` and `pageToken` parameters (each left out when empty): how many
/// incidents match and the offset the token stands for, or the message of the refusal.
/// A token this server issues for the query is read back as the offset it was made for.
pub fn list_incidents(
    filter: &str,
    order_by: &str,
    page_token_text: &str,
) -> Result<(usize, usize), String> {
    let parsed = Filter::parse(filter)?;
    let order = Order::parse(Some(order_by).filter(|o| !o.is_empty()))?;
    let key = format!("{filter}\u{0}{order_by}");
    let start = match page_token_text {
        "" => 0,
        t => read_page_token(t, &key)?,
    };
    let matching = STATE.with(|state| {
        let mut matching: Vec<_> = state
            .incidents
            .iter()
            .filter(|i| parsed.matches(i))
            .collect();
        matching.sort_by(|a, b| order.compare(a, b));
        matching.len()
    });
    let issued = page_token(start, &key);
    assert_eq!(
        read_page_token(&issued, &key),
        Ok(start),
        "a token this server issued"
    );
    Ok((matching, start))
}

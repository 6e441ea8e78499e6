use super::model::State;

thread_local! {
    static STATE: State = State::seeded("https://sentinel.invalid", 24, 7);
}

/// How many incidents of a small seeded server match a `query` of
/// `GET .../objects/incident`, or `None` when the simulator refuses it (400).
pub fn incident_query(query: &str) -> Option<usize> {
    let terms = super::handlers::filter(Some(query)).ok()?;
    Some(STATE.with(|state| {
        state
            .incidents
            .values()
            .filter(|i| super::handlers::matches(i, &terms))
            .count()
    }))
}

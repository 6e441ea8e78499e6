/// The `field eq "value"` clauses of a `filter` of `GET .../Risks/RisksEvents/`, or
/// `None` when the simulator refuses it (400).
pub fn risk_filter(filter: &str) -> Option<Vec<(String, String)>> {
    super::handlers::parse_filter(filter).ok()
}

//! The simulators' query languages, which downstream tests feed arbitrary strings: the
//! input is the text of the parameters, one per line.

fn lines(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .split('\n')
        .map(str::to_owned)
        .collect()
}

fn line(lines: &[String], i: usize) -> &str {
    lines.get(i).map_or("", String::as_str)
}

/// QRadar's `filter`, `sort`, `fields` and `Range` (one per line) on a list of offenses.
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn sim_qradar_filter(data: &[u8]) {
    let l = lines(data);
    let listed = incident_sim::qradar::fuzzing::list_offenses(
        line(&l, 0),
        line(&l, 1),
        line(&l, 2),
        line(&l, 3),
    );
    if let Ok((matching, content_range)) = listed {
        assert!(matching <= 24, "{matching} of 24 offenses");
        assert!(content_range.starts_with("items "), "{content_range}");
    }
}

/// ESET's `filter`, `orderBy` and `pageToken` (one per line) on a list of incidents.
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn sim_eset_filter(data: &[u8]) {
    let l = lines(data);
    if let Ok((matching, _)) =
        incident_sim::eset::fuzzing::list_incidents(line(&l, 0), line(&l, 1), line(&l, 2))
    {
        assert!(matching <= 24, "{matching} of 24 incidents");
    }
}

/// PTA's risk-event `filter`.
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn sim_pta_filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(clauses) = incident_sim::cyberark_pta::fuzzing::risk_filter(&text) {
        assert!(!clauses.is_empty(), "a filter without a clause: {text:?}");
    }
}

/// Sentinel's `query` on a list of incidents.
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn sim_sentinel_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(matching) = incident_sim::sentinel::fuzzing::incident_query(&text) {
        assert!(matching <= 24, "{matching} of 24 incidents");
    }
}

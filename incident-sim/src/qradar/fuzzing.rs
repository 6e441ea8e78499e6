use super::model::{Offense, State};
use super::query::{Filter, Record, Sort, page_bounds, parse_fields, parse_range, project, select};
use crate::cached::Cached;

thread_local! {
    static STATE: State = State::seeded(24, 7);
}

/// Lists the offenses of a small seeded console as `GET /siem/offenses` does with these
/// `filter`, `sort` and `fields` parameters and this `Range` header (each left out when
/// empty): how many offenses match and the `Content-Range` of the page, or the message
/// of the refusal.
pub fn list_offenses(
    filter: &str,
    sort: &str,
    fields: &str,
    range: &str,
) -> Result<(usize, String), String> {
    let filter = match filter.trim() {
        "" => None,
        f => Some(Filter::<Cached<Offense>>::parse(f)?),
    };
    let sort = match sort {
        "" => Sort::default(),
        s => Sort::parse::<Cached<Offense>>(s, None)?,
    };
    let fields = parse_fields(fields)?;
    let range = match range {
        "" => None,
        r => Some(parse_range(r)?),
    };
    Ok(STATE.with(|state| {
        let selected = select(state.offenses.iter(), filter.as_ref(), &sort);
        let (bounds, content_range) = page_bounds(selected.len(), range);
        let page = selected.get(bounds).unwrap_or_default();
        for offense in page {
            if let Some(fields) = &fields {
                project(offense.to_json(), fields);
            }
        }
        (selected.len(), content_range)
    }))
}

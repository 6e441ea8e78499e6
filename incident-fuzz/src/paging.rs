//! The paginator, driven by a server that answers what the input says.

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use incident_core::paging::{OffsetPage, Page, Paginator};

/// Reads the input byte by byte; zeros once it runs out.
pub(crate) struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Bytes(data)
    }

    pub(crate) fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The next cursor a scripted page names.
#[derive(Debug, Clone, Copy)]
enum Next {
    /// None: the last page.
    None,
    /// The cursor that fetched the page (a stalled cursor).
    Same,
    /// The cursor of the page before (a cycle).
    Previous,
    /// This value (as a number, or as a token: 0 is the empty token).
    Value(u8),
}

/// One answer of the scripted server.
#[derive(Debug, Clone)]
struct Answer {
    items: Vec<u8>,
    next: Next,
    total: Option<u64>,
    /// Offsets: the page says it starts this far from where it was asked to.
    shift: u8,
    /// Offsets: the page says it is the last one.
    last: bool,
    /// The request fails.
    error: bool,
}

impl Answer {
    fn read(r: &mut Bytes<'_>) -> Answer {
        let head = r.byte();
        let count = usize::from(head % 8);
        let items = (0..count).map(|_| r.byte() % 16).collect();
        let next = match r.byte() {
            0 => Next::None,
            1 => Next::Same,
            2 => Next::Previous,
            v => Next::Value(v - 3),
        };
        let total = (head & 0x08 != 0).then(|| u64::from(r.byte() % 32));
        Answer {
            items,
            next,
            total,
            shift: if head & 0x10 != 0 { r.byte() % 3 } else { 0 },
            last: head & 0x20 != 0,
            error: head & 0xc0 == 0xc0,
        }
    }
}

/// The scripted server: answers in turn (starting over after the last, as a server that
/// never stops would), counting the requests.
#[derive(Debug, Default)]
struct Server {
    script: Vec<Answer>,
    calls: u64,
    /// The cursors the requests carried, in order.
    cursors: Vec<Option<u32>>,
}

impl Server {
    fn answer(&mut self, cursor: Option<u32>) -> Option<Answer> {
        self.calls += 1;
        self.cursors.push(cursor);
        if self.script.is_empty() {
            return None;
        }
        let i = (self.calls - 1) as usize % self.script.len();
        Some(self.script[i].clone())
    }

    /// The numeric cursor `next` stands for, after a request at `cursor`.
    fn cursor(&self, next: Next, cursor: Option<u32>) -> Option<u32> {
        match next {
            Next::None => None,
            Next::Same => Some(cursor.unwrap_or(0)),
            Next::Previous => {
                let n = self.cursors.len();
                Some(
                    self.cursors
                        .get(n.wrapping_sub(2))
                        .copied()
                        .flatten()
                        .unwrap_or(0),
                )
            }
            Next::Value(v) => Some(u32::from(v) + 1000),
        }
    }
}

fn failure() -> incident_core::Error {
    incident_core::Error::protocol("Fuzz", "the scripted server fails")
}

type Shared = Arc<Mutex<Server>>;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
}

fn cursors(server: &Shared) -> Paginator<u8, u32> {
    let server = server.clone();
    Paginator::from_callback(move |cursor: Option<u32>| {
        let mut s = server.lock().expect("the server");
        let page = match s.answer(cursor) {
            None => Ok(Page::last(Vec::new())),
            Some(a) if a.error => Err(failure()),
            Some(a) => Ok(Page::new(a.items, s.cursor(a.next, cursor)).with_total(a.total)),
        };
        async move { page }
    })
}

fn time_cursor(server: &Shared) -> Paginator<u8, u32> {
    let server = server.clone();
    Paginator::time_cursor(
        move |cursor: Option<u32>| {
            let mut s = server.lock().expect("the server");
            let page = match s.answer(cursor) {
                None => Ok(Page::last(Vec::new())),
                Some(a) if a.error => Err(failure()),
                Some(a) => Ok(Page::new(a.items, s.cursor(a.next, cursor)).with_total(a.total)),
            };
            async move { page }
        },
        |item: &u8| *item,
    )
}

fn tokens(server: &Shared) -> Paginator<u8, String> {
    let server = server.clone();
    // Tokens are numbers written out; 0 is the empty token, which ends a walk.
    Paginator::page_tokens(move |token: Option<String>| {
        let mut s = server.lock().expect("the server");
        let cursor = token.as_deref().and_then(|t| t.parse::<u32>().ok());
        let page = match s.answer(cursor) {
            None => Ok(Page::last(Vec::new())),
            Some(a) if a.error => Err(failure()),
            Some(a) => {
                let next = match a.next {
                    Next::Value(0) => Some(String::new()),
                    next => s.cursor(next, cursor).map(|c| c.to_string()),
                };
                Ok(Page::new(a.items, next).with_total(a.total))
            }
        };
        async move { page }
    })
}

fn numbers(server: &Shared, first: u64) -> Paginator<u8, u64> {
    let server = server.clone();
    Paginator::page_numbers(first, move |number, _size| {
        let mut s = server.lock().expect("the server");
        let page = match s.answer(u32::try_from(number).ok()) {
            None => Ok(Vec::new()),
            Some(a) if a.error => Err(failure()),
            Some(a) => Ok(a.items),
        };
        async move { page }
    })
}

fn offsets(server: &Shared) -> Paginator<u8, u64> {
    let server = server.clone();
    Paginator::offsets(move |start, _len| {
        let mut s = server.lock().expect("the server");
        let page = match s.answer(u32::try_from(start).ok()) {
            None => Ok(OffsetPage::new(Vec::new())),
            Some(a) if a.error => Err(failure()),
            Some(a) => {
                let mut page = OffsetPage::new(a.items)
                    .starting_at(start.saturating_add(u64::from(a.shift)))
                    .with_total(a.total);
                if a.last {
                    page = page.last();
                }
                Ok(page)
            }
        };
        async move { page }
    })
}

/// The limits a walk was given, to check it against.
#[derive(Debug, Default)]
struct Limits {
    page_size: Option<u64>,
    overflow: u64,
    max_items: Option<u64>,
    max_pages: Option<u64>,
    ceiling: u64,
    /// Offsets: the windows asked ahead (`prefetch`), which a short or last page discards.
    ahead: u64,
}

/// Applies what the input says to a walk of any style.
fn tune<C>(mut p: Paginator<u8, C>, r: &mut Bytes<'_>, limits: &mut Limits) -> Paginator<u8, C>
where
    C: Clone + Eq + std::hash::Hash + Send + 'static,
{
    let flags = r.byte();
    if flags & 0x01 != 0 {
        let size = u64::from(r.byte() % 9);
        limits.page_size = Some(size);
        p = p.page_size(size);
    }
    if flags & 0x02 != 0 {
        let max = u64::from(r.byte() % 32);
        limits.max_items = Some(max);
        p = p.max_items(max);
    }
    if flags & 0x04 != 0 {
        let max = u64::from(r.byte() % 32);
        limits.max_pages = Some(max);
        p = p.max_pages(max);
    }
    limits.ceiling = u64::from(r.byte() % 48);
    p = p.page_ceiling(limits.ceiling);
    if flags & 0x08 != 0 {
        p = p.identify_by(|i: &u8| Some(*i));
    }
    if flags & 0x10 != 0 {
        p = p.when_cursor_stalls(incident_core::StalledCursor::End);
    }
    if flags & 0x20 != 0 {
        p = p.end_on_empty_page(true);
    }
    if flags & 0x40 != 0 {
        limits.overflow = u64::from(r.byte() % 4);
        p = p.page_overflow(limits.overflow);
    }
    p.vendor("Fuzz")
}

/// Walks to the end and checks the walk held to its bounds: the requests (at most the page
/// ceiling, or `max_pages`, plus the windows an offset walk asked ahead and discarded), the
/// items of each page, of the walk.
fn walk<C>(p: Paginator<u8, C>, server: &Shared, limits: &Limits)
where
    C: Clone + Eq + std::hash::Hash + Send + 'static,
{
    let most_pages = limits.max_pages.unwrap_or(limits.ceiling);
    let (pages, items) = RUNTIME.with(|runtime| {
        runtime.block_on(async {
            let mut pages = p.pages();
            let (mut count, mut items) = (0u64, 0u64);
            while let Some(page) = pages.next().await {
                let Ok(page) = page else { break };
                count += 1;
                let got = page.items.len() as u64;
                items += got;
                if let Some(size) = limits.page_size {
                    assert!(
                        got <= size + limits.overflow,
                        "a page of {got} items, asked {size} (+{})",
                        limits.overflow
                    );
                }
                assert!(
                    count <= most_pages + 1,
                    "the walk goes on past {count} pages"
                );
            }
            (count, items)
        })
    });
    let calls = server.lock().expect("the server").calls;
    assert!(
        calls <= most_pages + limits.ahead,
        "{calls} requests in a walk of at most {most_pages} pages (+{} ahead)",
        limits.ahead
    );
    assert!(
        pages <= most_pages,
        "{pages} pages in a walk of at most {most_pages}"
    );
    if let Some(max) = limits.max_items {
        assert!(items <= max, "{items} items in a walk of at most {max}");
    }
}

/// A walk of any style (cursor, time cursor, tokens, page numbers, offsets with prefetch)
/// over a server that answers what the input says: its pages, cursors (stalled, cycling,
/// new), totals, failures, and the walk's limits.
pub fn paginator(data: &[u8]) {
    let mut r = Bytes::new(data);
    let style = r.byte() % 5;
    let mut limits = Limits::default();
    let server: Shared = Arc::default();
    // The walk's settings come first, then the script.
    let settings = r.byte();
    let first = u64::from(r.byte() % 3);
    let mut script = Vec::new();
    match style {
        0 => {
            let p = tune(cursors(&server), &mut r, &mut limits);
            run_script(&mut r, &server, &mut script);
            walk(p, &server, &limits);
        }
        1 => {
            let p = tune(time_cursor(&server), &mut r, &mut limits);
            run_script(&mut r, &server, &mut script);
            walk(p, &server, &limits);
        }
        2 => {
            let p = tune(tokens(&server), &mut r, &mut limits);
            run_script(&mut r, &server, &mut script);
            walk(p, &server, &limits);
        }
        3 => {
            limits.page_size = Some(incident_core::paging::DEFAULT_PAGE_SIZE);
            let p = tune(numbers(&server, first), &mut r, &mut limits);
            run_script(&mut r, &server, &mut script);
            walk(p, &server, &limits);
        }
        _ => {
            limits.page_size = Some(incident_core::paging::DEFAULT_PAGE_SIZE);
            let mut p = tune(offsets(&server), &mut r, &mut limits);
            limits.ahead = u64::from(settings % 4);
            p = p.prefetch(usize::from(settings % 4));
            if settings & 0x04 != 0 {
                p = p.first_position(first);
            }
            if settings & 0x08 != 0 {
                p = p.last_position(u64::from(r.byte() % 64));
            }
            run_script(&mut r, &server, &mut script);
            walk(p, &server, &limits);
        }
    }
}

/// Reads the server's answers from the rest of the input (at most 64).
fn run_script(r: &mut Bytes<'_>, server: &Shared, script: &mut Vec<Answer>) {
    while !r.is_empty() && script.len() < 64 {
        script.push(Answer::read(r));
    }
    server.lock().expect("the server").script = std::mem::take(script);
}

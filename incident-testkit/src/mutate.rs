//! Mangled variants of a valid input, for "never panics" tests of small parsers (time stamps,
//! `Content-Range` headers, cursors).

/// `text` cut at every byte (either side), with each byte replaced by each of `tricky` (the
/// characters that trip the parser under test), and with each bit of each byte flipped.
/// Invalid UTF-8 is replaced, so every variant is a `String`.
///
/// ```
/// let variants = incident_testkit::mutations("1-2", &["", "9"]);
/// assert!(variants.contains(&"1-".to_owned()));
/// assert!(variants.contains(&"192".to_owned()));
/// assert!(variants.contains(&"0-2".to_owned())); // a bit of '1' flipped
/// ```
#[must_use]
pub fn mutations(text: &str, tricky: &[&str]) -> Vec<String> {
    let bytes = text.as_bytes();
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut out = Vec::new();
    for i in 0..=bytes.len() {
        out.push(lossy(&bytes[..i]));
        out.push(lossy(&bytes[i..]));
    }
    for i in 0..bytes.len() {
        for with in tricky {
            out.push(format!(
                "{}{with}{}",
                lossy(&bytes[..i]),
                lossy(&bytes[i + 1..])
            ));
        }
        for bit in 0..8 {
            let mut b = bytes.to_vec();
            b[i] ^= 1 << bit;
            out.push(lossy(&b));
        }
    }
    out
}

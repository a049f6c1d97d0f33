//! CSV (RFC 4180): a header line, then one line per row; cells with a comma, a quote or a
//! line break quoted.

/// One CSV line from cells.
pub fn line<I: IntoIterator<Item = S>, S: AsRef<str>>(cells: I) -> String {
    let mut out = String::new();
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = cell.as_ref();
        let special = cell
            .bytes()
            .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
        if special || cell.starts_with(' ') || cell.ends_with(' ') {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
    out
}

/// A table: `headers`, then `rows`.
pub fn table(headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = line(headers);
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

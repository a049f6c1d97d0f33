//! Query results as a table on a terminal, CSV or JSON. Every cell is made visible: a
//! certificate's subject cannot move the cursor or start a line.

use clap::ValueEnum;
use serde::Serialize;

/// The output format of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON array of objects, one object per line.
    Json,
    /// Comma-separated values with a header line (RFC 4180).
    Csv,
}

/// A row that prints as a table or CSV line.
pub trait Tabular: Serialize {
    /// The column headers.
    fn headers() -> &'static [&'static str];
    /// The cells, in header order.
    fn cells(&self) -> Vec<String>;
}

/// The widest a table cell is shown; CSV and JSON keep everything.
const CELL_WIDTH: usize = 60;

/// The header of a fingerprint column: the whole fingerprint in CSV and JSON, its first
/// 8 bytes in a table (enough to tell them apart, and `inventory where` takes them).
pub const FINGERPRINT: &str = "SHA-256";

fn short(sha: &str) -> String {
    sha.get(..23).unwrap_or(sha).to_string()
}

/// Renders rows in `format`; `empty` is the sentence a table shows when there are none.
pub fn render<T: Tabular>(rows: &[T], format: OutputFormat, empty: &str) -> String {
    match format {
        OutputFormat::Json => json_lines(rows),
        OutputFormat::Csv => {
            let mut out = csv_line(T::headers().iter().map(|h| h.to_string()));
            out.reserve(rows.len() * 200);
            for row in rows {
                for (i, cell) in row.cells().iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_csv_cell(&mut out, cell);
                }
                out.push_str("\r\n");
            }
            out
        }
        OutputFormat::Table if rows.is_empty() => format!("{empty}\n"),
        OutputFormat::Table => table(T::headers(), rows.iter().map(|r| r.cells()).collect()),
    }
}

/// A JSON array with one compact object per line: `grep` and `jq` both read it, and a
/// listing of thousands of rows is a fifth shorter and quicker to print than indented.
fn json_lines<T: Serialize>(rows: &[T]) -> String {
    let mut out = Vec::with_capacity(rows.len() * 320 + 4);
    out.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        // Rows are plain structs of strings and numbers: serializing them cannot fail.
        if serde_json::to_writer(&mut out, row).is_err() {
            return "[]\n".to_string();
        }
    }
    out.extend_from_slice(if rows.is_empty() { b"]\n" } else { b"\n]\n" });
    // serde_json writes UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| "[]\n".to_string())
}

fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|cells| {
            cells
                .iter()
                .zip(headers)
                .map(|(c, header)| match *header {
                    FINGERPRINT => short(c),
                    _ => certprobe::text::quote(c, CELL_WIDTH),
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(width - cell.chars().count() + 2));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

fn csv_line(cells: impl Iterator<Item = String>) -> String {
    let mut line = String::new();
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_csv_cell(&mut line, &cell);
    }
    line.push_str("\r\n");
    line
}

/// One cell, visible, quoted when it holds a comma, a quote or outer spaces. Printable
/// ASCII (nearly every cell) is checked in one pass over its bytes and copied as it is.
fn push_csv_cell(line: &mut String, cell: &str) {
    let plain = cell.bytes().all(|b| (0x20..0x7f).contains(&b));
    let shown;
    let cell = if plain {
        cell
    } else {
        shown = certprobe::text::visible(cell);
        shown.as_str()
    };
    if cell.bytes().any(|b| b == b',' || b == b'"') || cell.starts_with(' ') || cell.ends_with(' ')
    {
        line.push('"');
        line.push_str(&cell.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(cell);
    }
}

/// A Unix time as `2026-12-01 13:05` (UTC), the tables' format.
pub fn when(unix: i64) -> String {
    let full = certprobe::clock::format_utc(unix);
    // "2026-12-01 13:05:13 UTC" -> "2026-12-01 13:05"
    full.get(..16).unwrap_or(&full).to_string()
}

/// Days from `now` to `until`, one decimal, negative when past.
pub fn days_left(until: i64, now: i64) -> String {
    format!("{:.1}", (until - now) as f64 / 86_400.0)
}

/// The plural ending of a count: `1 notice`, `2 notices`.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        name: String,
        count: u32,
    }

    impl Tabular for Row {
        fn headers() -> &'static [&'static str] {
            &["NAME", "COUNT"]
        }
        fn cells(&self) -> Vec<String> {
            vec![self.name.clone(), self.count.to_string()]
        }
    }

    #[test]
    fn tables_csv_and_json() {
        let rows = vec![
            Row {
                name: "a\r\nb".to_string(),
                count: 1,
            },
            Row {
                name: "long, \"quoted\"".to_string(),
                count: 22,
            },
        ];
        assert_eq!(
            render(&rows, OutputFormat::Table, "none"),
            "NAME            COUNT\na\\r\\nb          1\nlong, \"quoted\"  22\n"
        );
        assert_eq!(
            render(&rows, OutputFormat::Csv, "none"),
            "NAME,COUNT\r\na\\r\\nb,1\r\n\"long, \"\"quoted\"\"\",22\r\n"
        );
        assert_eq!(
            render(&rows, OutputFormat::Json, "none"),
            concat!(
                "[\n",
                "{\"name\":\"a\\r\\nb\",\"count\":1},\n",
                "{\"name\":\"long, \\\"quoted\\\"\",\"count\":22}\n",
                "]\n"
            )
        );
        assert_eq!(render::<Row>(&[], OutputFormat::Json, "none"), "[]\n");
        assert_eq!(
            render::<Row>(&[], OutputFormat::Table, "nothing found"),
            "nothing found\n"
        );
    }
}

//! Charts as inline SVG: donuts for shares, stacked bars for the trend. No script, no
//! external file: they print, and a browser without JavaScript shows them.

use crate::reports::TrendDay;
use crate::views::Count;
use std::fmt::Write as _;

/// Text for SVG and HTML: `<`, `>`, `&` and quotes escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A donut of `counts` with the total in the middle; a grey ring when all are zero.
pub fn donut(title: &str, counts: &[Count]) -> String {
    let total: usize = counts.iter().map(|c| c.count).sum();
    let (r, width) = (40.0f64, 16.0f64);
    let circumference = 2.0 * std::f64::consts::PI * r;
    let mut out = format!(
        "<svg class=\"donut\" viewBox=\"0 0 120 120\" width=\"120\" height=\"120\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    let _ = write!(
        out,
        "<circle cx=\"60\" cy=\"60\" r=\"{r}\" fill=\"none\" stroke=\"#eaeef2\" stroke-width=\"{width}\"/>"
    );
    let mut offset = 0.0;
    for c in counts.iter().filter(|c| c.count > 0) {
        let length = circumference * c.count as f64 / total.max(1) as f64;
        let _ = write!(
            out,
            "<circle cx=\"60\" cy=\"60\" r=\"{r}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\" stroke-dasharray=\"{length:.3} {:.3}\" stroke-dashoffset=\"{:.3}\" transform=\"rotate(-90 60 60)\"><title>{}: {}</title></circle>",
            escape(&c.colour),
            circumference - length,
            -offset,
            escape(&c.label),
            c.count
        );
        offset += length;
    }
    let _ = write!(
        out,
        "<text x=\"60\" y=\"66\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"600\" fill=\"#1f2328\">{total}</text></svg>"
    );
    out
}

/// Stacked bars of certificates per tier, one bar per day.
pub fn trend(days: &[TrendDay]) -> String {
    let (width, height, bottom) = (560.0f64, 200.0f64, 24.0f64);
    let most = days
        .iter()
        .map(|d| d.tiers.iter().map(|t| t.count).sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = width / days.len().max(1) as f64;
    let bar = slot * 0.6;
    let mut out = format!(
        "<svg class=\"trend\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-label=\"Certificates per tier, per day\">"
    );
    for (n, day) in days.iter().enumerate() {
        let x = n as f64 * slot + (slot - bar) / 2.0;
        let mut y = height - bottom;
        // Least severe at the bottom.
        for t in day.tiers.iter().rev().filter(|t| t.count > 0) {
            let h = (height - bottom - 10.0) * t.count as f64 / most as f64;
            y -= h;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} {}: {}</title></rect>",
                escape(&t.colour),
                escape(&day.date),
                escape(&t.label),
                t.count
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#57606a\">{}</text>",
            x + bar / 2.0,
            height - 8.0,
            escape(day.date.get(5..).unwrap_or(&day.date))
        );
    }
    out.push_str("</svg>");
    out
}

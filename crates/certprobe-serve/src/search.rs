//! The lists' search: each certificate's and each endpoint's words, lower-cased once per
//! judgement, so that a search over 100,000 endpoints is substring tests only.

use certprobe_report::snapshot::{name_of, Judged};
use certprobe_report::views::CertRow;

/// Between two fields: no search word holds it (control characters are dropped from them).
const SEPARATOR: char = '\u{1}';

/// The searchable text of every row, in the rows' order.
#[derive(Debug, Default)]
pub struct SearchText {
    /// Per certificate row.
    pub certificates: Vec<String>,
    /// Per deployed endpoint.
    pub endpoints: Vec<String>,
}

fn joined<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = String::new();
    for field in fields {
        text.push_str(&field.to_lowercase());
        text.push(SEPARATOR);
    }
    text
}

impl SearchText {
    /// The text of the certificate rows and the deployed endpoints.
    pub fn of(certificates: &[CertRow], deployed: &[Judged]) -> SearchText {
        SearchText {
            certificates: certificates
                .iter()
                .map(|c| {
                    let fixed = [
                        c.subject.as_str(),
                        &c.issuer,
                        &c.sha256,
                        &c.id,
                        &c.tier_label,
                        &c.key,
                    ];
                    joined(
                        fixed
                            .into_iter()
                            .chain(c.names.iter().map(String::as_str))
                            .chain(c.owners.iter().map(String::as_str))
                            .chain(c.endpoints.iter().map(String::as_str))
                            .chain(c.alarms.iter().map(String::as_str)),
                    )
                })
                .collect(),
            endpoints: deployed
                .iter()
                .map(|j| {
                    let i = &j.input;
                    let label = i.endpoint.label();
                    let subject = name_of(&i.leaf.common_name, &i.leaf.subject);
                    let fixed = [label.as_str(), &subject, &i.job, &i.endpoint.zone];
                    joined(fixed.into_iter().chain(j.owners.iter().map(String::as_str)))
                })
                .collect(),
        }
    }
}

/// The words of a query, lower-cased, without control characters; a row matches when it
/// holds every one.
pub fn words(query: &str) -> Vec<String> {
    query
        .to_lowercase()
        .split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The indexes of the texts holding every word, in order.
pub fn matching<'a>(texts: &'a [String], words: &'a [String]) -> impl Iterator<Item = usize> + 'a {
    texts
        .iter()
        .enumerate()
        .filter(|(_, text)| words.iter().all(|w| text.contains(w.as_str())))
        .map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_must_be_in_a_field_and_none_spans_two() {
        let texts = vec![
            joined(["www.Shop.example", "web-team"]),
            joined(["mail", "ops"]),
        ];
        let found = |q: &str| matching(&texts, &words(q)).collect::<Vec<_>>();
        assert_eq!(found("shop"), [0]);
        assert_eq!(found("SHOP web"), [0]);
        assert_eq!(found("shop ops"), Vec::<usize>::new());
        assert_eq!(found(""), [0, 1]);
        assert_eq!(found("example\u{1}web"), Vec::<usize>::new());
        assert_eq!(found("mailops"), Vec::<usize>::new());
    }
}

//! PRTG EXE/Script Advanced XML: the same sensor as the JSON form.
//!
//! ```text
//! <?xml version="1.0" encoding="UTF-8"?>
//! <prtg>
//!   <result><channel>Days to Expiration</channel><value>41</value><unit>Count</unit>...</result>
//!   <text>OK. Certificate Common Name: www.example.com - ...</text>
//! </prtg>
//! ```
//! Failures are `<prtg><error>1</error><text>...</text></prtg>`; the exit code is always 0.

use super::prtg::{limit_messages, sensor, Sensor};
use super::prtg_json::number;
use super::{Outcome, Rendered};

/// The [`sensor`] as `<prtg>` XML, every value escaped and control characters blanked. Exit 0.
pub fn render(outcome: &Outcome) -> Rendered {
    render_sensor(&sensor(outcome))
}

/// A [`Sensor`] as PRTG XML, however it was made (several endpoints' in one). Exit 0.
pub fn render_sensor(sensor: &Sensor) -> Rendered {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prtg>\n");
    match sensor {
        Sensor::Result { channels, text } => {
            for c in channels {
                xml.push_str("  <result>\n");
                element(&mut xml, "channel", c.name);
                element(&mut xml, "value", &c.value.to_string());
                if let Some(lookup) = &c.lookup {
                    element(&mut xml, "valuelookup", lookup);
                }
                if let Some((warning, error)) = c.min_limits {
                    let (warning_msg, error_msg) = limit_messages(warning, error);
                    element(&mut xml, "unit", "Count");
                    element(&mut xml, "limitmode", "1");
                    element(&mut xml, "limitminwarning", &number(warning).to_string());
                    element(&mut xml, "limitminerror", &number(error).to_string());
                    element(&mut xml, "limitwarningmsg", &warning_msg);
                    element(&mut xml, "limiterrormsg", &error_msg);
                }
                xml.push_str("  </result>\n");
            }
            xml.push_str(&format!("  <text>{}</text>\n", escape(text)));
        }
        Sensor::Error { text } => {
            xml.push_str("  <error>1</error>\n");
            xml.push_str(&format!("  <text>{}</text>\n", escape(text)));
        }
    }
    xml.push_str("</prtg>\n");
    Rendered {
        text: xml,
        exit_code: 0,
    }
}

fn element(xml: &mut String, name: &str, value: &str) {
    xml.push_str(&format!("    <{name}>{}</{name}>\n", escape(value)));
}

/// XML character data: the five predefined entities, and no control characters.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & 'c'\u{1}"), "a&lt;b &amp; &apos;c&apos; ");
    }
}

//! `--as-check` of `certprobe scan` and `certprobe audit`: the run's summary as a monitoring
//! check result (the plugins' Nagios/Icinga output: one line, perfdata, exit 0 to 3), for a
//! scan or an audit that Icinga 2 runs on a satellite or an agent (`command_endpoint`), a
//! Zabbix proxy as an external check, or a PRTG remote probe as an EXE sensor.

use std::fmt::Write;

/// A check's state, as its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum State {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }
}

/// One check result: the state, the line, the perfdata (label, value, unit).
pub(crate) struct CheckResult {
    pub state: State,
    pub text: String,
    pub perfdata: Vec<(&'static str, f64, &'static str)>,
}

impl CheckResult {
    /// The command's answer: the line, exit 0 when OK, else the state's code.
    pub fn answer(&self, service: &str) -> Result<String, crate::FleetError> {
        let stdout = self.render(service);
        match self.state {
            State::Ok => Ok(stdout),
            state => Err(crate::FleetError::State {
                stdout,
                code: state as i32,
            }),
        }
    }

    /// `CERT_SCAN OK - text | label=value;;;0 ...`, with a newline.
    pub fn render(&self, service: &str) -> String {
        let mut line = format!(
            "{service} {} - {}",
            self.state.word(),
            // `|` starts perfdata: none may come from the data.
            certprobe::text::visible(&self.text).replace('|', "/")
        );
        if !self.perfdata.is_empty() {
            line.push_str(" |");
            for (label, value, unit) in &self.perfdata {
                let _ = write!(line, " {label}={}{unit};;;0", number(*value));
            }
        }
        line.push('\n');
        line
    }
}

/// `12`, `12.3`: whole numbers without a fraction, the rest with one digit.
fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// A scan or an audit that could not run: UNKNOWN for bad arguments (as a plugin says of
/// its own usage), CRITICAL when the inventory refused or the work failed.
pub(crate) fn failure(service: &str, reason: &str, arguments: bool) -> (String, i32) {
    let state = if arguments {
        State::Unknown
    } else {
        State::Critical
    };
    let result = CheckResult {
        state,
        text: reason.to_string(),
        perfdata: Vec::new(),
    };
    (result.render(service), state as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_is_a_plugins_with_perfdata_and_no_control_characters() {
        let result = CheckResult {
            state: State::Warning,
            text: "job 'dmz\u{7}|x' done".to_string(),
            perfdata: vec![("endpoints", 512.0, ""), ("duration", 12.34, "s")],
        };
        assert_eq!(
            result.render("CERT_SCAN"),
            "CERT_SCAN WARNING - job 'dmz\\x07/x' done | endpoints=512;;;0 duration=12.3s;;;0\n"
        );
        assert_eq!(
            failure("CERT_AUDIT", "no such [[audit]]", true),
            ("CERT_AUDIT UNKNOWN - no such [[audit]]\n".to_string(), 3)
        );
    }
}

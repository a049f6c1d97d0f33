//! Five-field cron schedules (`0 3 * * *`), in the machine's local time as cron has it.

use chrono::{DateTime, Local};
use croner::Cron;
use std::fmt;
use std::str::FromStr;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    text: String,
}

/// A schedule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    /// What was given.
    pub given: String,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a five-field cron schedule (minute hour day-of-month month day-of-week, as in '0 3 * * *')",
            certprobe::text::quote(&self.given, 60)
        )
    }
}

impl std::error::Error for ScheduleError {}

impl Schedule {
    /// Reads a five-field schedule; six fields (seconds) are refused, as cron does.
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let error = || ScheduleError {
            given: text.to_string(),
        };
        let text = text.trim();
        if text.split_whitespace().count() != 5 {
            return Err(error());
        }
        let cron = Cron::from_str(text).map_err(|_| error())?;
        Ok(Schedule {
            cron,
            text: text.to_string(),
        })
    }

    /// The first time after `after` that the schedule fires.
    pub fn next_after(&self, after: DateTime<Local>) -> Option<DateTime<Local>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// The schedule as written.
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    #[test]
    fn five_fields_only() {
        assert!(Schedule::parse("0 3 * * *").is_ok());
        assert!(Schedule::parse("*/5 * * * 1-5").is_ok());
        for bad in ["", "0 3 * *", "0 0 3 * * *", "61 * * * *", "x * * * *"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Schedule::parse("61 * * * *").unwrap_err().to_string(),
            "'61 * * * *' is not a five-field cron schedule (minute hour day-of-month month day-of-week, as in '0 3 * * *')"
        );
    }

    #[test]
    fn the_next_run_is_after_the_given_time() {
        let schedule = Schedule::parse("0 3 * * *").unwrap();
        let start = Local.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let next = schedule.next_after(start).unwrap();
        assert_eq!((next.hour(), next.minute()), (3, 0));
        assert_eq!((next - start).num_hours(), 24);
    }
}

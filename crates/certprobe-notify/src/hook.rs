//! The hook channel: a command run once per notice, with the notice in environment
//! variables (`CERTPROBE_EVENT`, `CERTPROBE_SHA256`, ... as certspotter's hooks have them)
//! and as JSON on stdin, for ticket systems and chat webhooks.

use crate::notice::Notice;
use crate::process::{run, RunError};
use certprobe_alarm::channel::Hook;
use std::time::Duration;

/// The environment a hook gets for `notice`, message `id`.
pub fn environment(notice: &Notice, id: i64) -> Vec<(String, String)> {
    let alarms: Vec<&str> = notice.alarms.iter().map(|a| a.id()).collect();
    [
        ("CERTPROBE_EVENT", notice.kind.id().to_string()),
        ("CERTPROBE_SUMMARY", notice.summary.clone()),
        ("CERTPROBE_OWNER", notice.owner.clone()),
        ("CERTPROBE_ENDPOINT", notice.endpoint.clone()),
        ("CERTPROBE_JOB", notice.job.clone()),
        ("CERTPROBE_SHA256", notice.sha256.clone()),
        ("CERTPROBE_SUBJECT", notice.subject.clone()),
        ("CERTPROBE_ISSUER", notice.issuer.clone()),
        ("CERTPROBE_NOT_AFTER", notice.not_after.to_string()),
        (
            "CERTPROBE_NOT_AFTER_DATE",
            crate::plan::date(notice.not_after),
        ),
        ("CERTPROBE_DAYS_LEFT", notice.days_left.to_string()),
        ("CERTPROBE_TIER", notice.tier.id().to_string()),
        (
            "CERTPROBE_PREVIOUS_TIER",
            notice.previous_tier.id().to_string(),
        ),
        (
            "CERTPROBE_ALARM",
            notice.alarm.map(|a| a.id().to_string()).unwrap_or_default(),
        ),
        ("CERTPROBE_ALARMS", alarms.join(" ")),
        (
            "CERTPROBE_PREVIOUS_SHA256",
            notice.previous_sha256.clone().unwrap_or_default(),
        ),
        ("CERTPROBE_NOTIFICATION_ID", id.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Runs the hook for one notice.
pub fn send(hook: &Hook, notice: &Notice, id: i64, limit: Duration) -> Result<(), RunError> {
    let json = serde_json::to_vec(notice).unwrap_or_default();
    run(&hook.argv, &environment(notice, id), &json, limit)
}

//! Nagios threshold ranges for -w/-c (`10`, `10:`, `~:10`, `10:20`, `@10:20`), and shares of
//! the lifetime (`25%`).
#![no_main]

use certprobe::verdict::Threshold;
use certprobe_fuzz::check_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Threshold::parse(text) {
        Ok(threshold) => {
            if let Threshold::Range(range) = &threshold {
                assert!(range.start <= range.end, "{text:?}: start after end");
                assert!(!range.start.is_nan() && !range.end.is_nan());
                assert!(!range.text.contains(char::is_control), "{:?}", range.text);
            }
            let min = threshold.min_days();
            assert!(min.is_finite(), "{text:?}: min_days {min}");
            // The perfdata form reads back as a threshold with the same minimum.
            let perfdata = threshold.perfdata();
            assert!(
                !perfdata.contains(char::is_control),
                "perfdata {perfdata:?}"
            );
            let again = Threshold::parse(&perfdata)
                .unwrap_or_else(|e| panic!("{text:?}: perfdata {perfdata:?} does not parse: {e}"));
            assert_eq!(again.min_days(), min, "{text:?} -> {perfdata:?}");
            for days in [-1.0, 0.0, min, min + 0.5, 1e9] {
                let _ = threshold.alerts(days);
            }
            // A share becomes finite days for any lifetime; days and ranges stay as they are.
            for lifetime in [-1.0, 0.0, 90.0, 1e6] {
                let resolved = threshold.for_lifetime(lifetime);
                assert!(resolved.min_days().is_finite(), "{text:?} for {lifetime}");
                assert!(!resolved.is_percent());
                if !threshold.is_percent() {
                    assert_eq!(resolved, threshold);
                }
            }
        }
        Err(e) => check_message("range error", &e),
    }
});

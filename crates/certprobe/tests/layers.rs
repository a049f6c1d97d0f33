//! The engine's layers import only downward:
//! target/source <- observation <- analysis <- verdict <- render, with capture and lookups
//! beside the analysis (never using verdict or render), and check on top. This test reads
//! every `crate::` path in the library's code and holds it against the allow-list below, so
//! an edge the wrong way fails here, not in a review.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on purpose

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and the modules it may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("clock", &[]),
    ("encoding", &[]),
    ("text", &[]),
    ("duration", &["text"]),
    ("protocol", &[]),
    ("der", &["clock", "text"]),
    ("idna", &["text"]),
    ("target", &["idna", "protocol", "text"]),
    ("tls_version", &[]),
    (
        "observation",
        &["encoding", "protocol", "target", "tls_version"],
    ),
    ("budget", &["observation"]),
    ("fetch", &["budget"]),
    (
        "capture",
        &[
            "budget",
            "clock",
            "der",
            "encoding",
            "idna",
            "observation",
            "protocol",
            "target",
            "text",
            "tls_version",
        ],
    ),
    (
        "lookups",
        &["budget", "capture", "encoding", "fetch", "target", "text"],
    ),
    (
        "analysis",
        &[
            "budget",
            "clock",
            "der",
            "encoding",
            "fetch",
            "idna",
            "text",
            "tls_version",
        ],
    ),
    (
        "verdict",
        &[
            "analysis",
            "clock",
            "observation",
            "protocol",
            "target",
            "text",
            "tls_version",
        ],
    ),
    ("outcome", &["analysis", "observation", "target", "verdict"]),
    (
        "check",
        &[
            "analysis",
            "budget",
            "capture",
            "clock",
            "fetch",
            "lookups",
            "observation",
            "outcome",
            "target",
            "tls_version",
            "verdict",
        ],
    ),
    (
        "render",
        &[
            "analysis",
            "clock",
            "encoding",
            "observation",
            "outcome",
            "protocol",
            "target",
            "text",
            "tls_version",
            "verdict",
        ],
    ),
];

/// Functions at the crate root that any module may call.
const ROOT_ITEMS: &[&str] = &["io_text"];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules named by `crate::` paths in code (comments left out).
fn used_modules(source: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in source.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + 7..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(grouped) = after.strip_prefix('{') {
                // `use crate::{a, b::c}`: every name at the top of the group.
                let group: String = grouped.chars().take_while(|&c| c != '}').collect();
                for part in group.split(',') {
                    let first: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !first.is_empty() {
                        used.insert(first);
                    }
                }
            } else if !name.is_empty() {
                used.insert(name);
            }
            rest = after;
        }
    }
    used
}

#[test]
fn layers_import_only_downward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut seen_modules = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        seen_modules.insert(module.clone());
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "{}: module '{module}' is not in the allow-list",
                relative.display()
            ));
            continue;
        };
        let source = std::fs::read_to_string(&file).unwrap();
        for used in used_modules(&source) {
            if used == module || ROOT_ITEMS.contains(&used.as_str()) {
                continue;
            }
            if used.starts_with(|c: char| c.is_ascii_uppercase()) {
                wrong.push(format!(
                    "{} ({module}) uses the re-export crate::{used}: name its module, so the edge shows",
                    relative.display()
                ));
                continue;
            }
            if !may.contains(&used.as_str()) {
                wrong.push(format!(
                    "{} ({module}) uses crate::{used}",
                    relative.display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "edges against the layers:\n{}",
        wrong.join("\n")
    );
    let listed: BTreeSet<String> = allowed.keys().map(|k| k.to_string()).collect();
    assert_eq!(
        listed, seen_modules,
        "the allow-list and the modules differ"
    );
}

#[test]
fn the_reader_sees_grouped_and_nested_paths() {
    let used = used_modules(
        "use crate::{budget::Deadline, text};\nlet x = crate::der::tlv(1, &[]);\n// crate::render in a comment\n",
    );
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        ["budget", "der", "text"]
    );
}

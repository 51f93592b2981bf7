//! Property tests of the snmprec reader on hostile input: arbitrary text and
//! random mutations of the real recordings in the shared fixtures.
//!
//! Recordings come from the field and get edited by hand, so the reader must
//! never panic, must account for every line (kept in the tree or reported
//! with its number), and must not grow beyond the input.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use asr_protocols::snmprec::{self, Recording};
use proptest::prelude::*;

/// The shared recordings, read once.
fn fixtures() -> &'static [(String, String)] {
    static TEXTS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/printers/snmprec");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "snmprec") {
                let name = path.display().to_string();
                out.push((name, std::fs::read_to_string(&path).expect("fixture")));
            }
        }
        out.sort();
        assert!(!out.is_empty(), "no recordings under {}", dir.display());
        out
    })
}

/// The lines the reader must account for: not blank, not a comment.
fn content_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

/// Every content line is either in the tree with the value it reads as on
/// its own, or skipped under its own number; nothing else is reported and
/// the tree is no bigger than the input.
fn check_accounting(text: &str, rec: &Recording) -> Result<(), TestCaseError> {
    let lines = content_lines(text);
    let numbers: BTreeSet<usize> = lines.iter().map(|(n, _)| *n).collect();
    let mut skipped = BTreeSet::new();
    for s in &rec.skipped {
        prop_assert!(skipped.insert(s.line), "line {} skipped twice", s.line);
        prop_assert!(
            numbers.contains(&s.line),
            "skipped line {} is not a content line",
            s.line
        );
        prop_assert!(!s.reason.is_empty());
        // Reasons quote the bad text; bound them so a hostile file cannot
        // make the report much bigger than itself.
        let len = lines
            .iter()
            .find(|(n, _)| *n == s.line)
            .map_or(0, |(_, l)| l.len());
        prop_assert!(
            s.reason.len() <= 10 * len + 200,
            "reason of {} bytes for a line of {len}",
            s.reason.len()
        );
    }
    prop_assert!(rec.tree.len() <= lines.len());
    prop_assert_eq!(rec.tree.len() + rec.skipped.len(), lines.len());
    for (n, line) in &lines {
        if skipped.contains(n) {
            continue;
        }
        let alone = snmprec::parse(line);
        prop_assert_eq!(alone.tree.len(), 1, "line {} neither kept nor skipped", n);
        let (oid, value) = alone.tree.iter().next().expect("one binding");
        prop_assert_eq!(
            rec.tree.get(oid),
            Some(value),
            "line {} ({:?}) is not in the tree as read",
            n,
            line
        );
    }
    // What was kept renders back to text that reads the same.
    let again = snmprec::parse(&snmprec::render(&rec.tree));
    prop_assert!(
        again.skipped.is_empty(),
        "render produced bad lines: {:?}",
        again.skipped
    );
    prop_assert_eq!(&again.tree, &rec.tree);
    Ok(())
}

/// Text made of the pieces snmprec lines are made of, plus anything.
fn snmprec_like_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("|".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("#".to_string()),
        Just(".".to_string()),
        Just("x".to_string()),
        Just(":".to_string()),
        "[0-9]{1,12}",
        "-?[0-9]{1,25}",
        "[0-9a-fA-F]{0,9}",
        "(2|4|4x|5|6|64|64x|65|66|67|68|68x|70|128|4:hexvalue)",
        "1\\.3\\.6\\.1(\\.[0-9]{1,10}){0,12}",
        any::<char>().prop_map(String::from),
        "\\PC{0,8}",
    ];
    proptest::collection::vec(piece, 0..120).prop_map(|p| p.concat())
}

/// One edit applied to a recording.
#[derive(Debug, Clone)]
enum Edit {
    /// Removes `len` bytes at a relative position.
    Delete(f64, usize),
    /// Inserts text at a relative position.
    Insert(f64, String),
    /// Replaces one byte with another at a relative position.
    Flip(f64, u8),
    /// Repeats a line elsewhere (duplicate OIDs).
    DuplicateLine(f64, f64),
    /// Cuts the file short.
    Truncate(f64),
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = 0.0f64..1.0;
    prop_oneof![
        (at.clone(), 1usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        (at.clone(), "(\\||\n|x|\\.|-|[0-9]{1,20}|\\PC{1,6}|\r|#)")
            .prop_map(|(a, s)| Edit::Insert(a, s)),
        (at.clone(), any::<u8>()).prop_map(|(a, b)| Edit::Flip(a, b)),
        (at.clone(), at.clone()).prop_map(|(a, b)| Edit::DuplicateLine(a, b)),
        at.prop_map(Edit::Truncate),
    ]
}

/// Applies edits to bytes, keeping the result valid UTF-8 (lossily), as a
/// file read with `read_to_string` after a hand edit would be.
fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let pos = |rel: f64, len: usize| ((rel * len as f64) as usize).min(len);
    for e in edits {
        let len = bytes.len();
        match e {
            Edit::Delete(a, n) => {
                let start = pos(*a, len);
                let end = (start + n).min(len);
                bytes.drain(start..end);
            }
            Edit::Insert(a, s) => {
                let at = pos(*a, len);
                bytes.splice(at..at, s.bytes());
            }
            Edit::Flip(a, b) => {
                if len > 0 {
                    let at = pos(*a, len - 1);
                    bytes[at] = *b;
                }
            }
            Edit::DuplicateLine(from, to) => {
                let s = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<&str> = s.split('\n').collect();
                if !lines.is_empty() {
                    let src = lines[pos(*from, lines.len() - 1)];
                    let dst = pos(*to, lines.len());
                    lines.insert(dst, src);
                }
                bytes = lines.join("\n").into_bytes();
            }
            Edit::Truncate(a) => bytes.truncate(pos(*a, len)),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn real_recordings_parse_cleanly_and_account_for_every_line() {
    for (name, text) in fixtures() {
        let rec = snmprec::parse(text);
        assert!(!rec.tree.is_empty(), "{name}: nothing parsed");
        check_accounting(text, &rec).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn a_huge_file_stays_bounded_by_its_lines() {
    // 60 000 lines, a third of them bad and a third duplicates.
    let mut text = String::new();
    for i in 0..60_000u32 {
        match i % 3 {
            0 => text.push_str(&format!("1.3.6.1.2.1.43.11.1.1.9.1.{i}|2|{i}\n")),
            1 => text.push_str(&format!("1.3.6.1.2.1.43.11.1.1.9.1.{}|2|7\n", i - 1)),
            _ => text.push_str(&format!("1.3.6.1.2.1.43.11.1.1.9.1.{i}|65|notanumber\n")),
        }
    }
    let started = std::time::Instant::now();
    let rec = snmprec::parse(&text);
    let took = started.elapsed();
    assert_eq!(rec.tree.len(), 20_000);
    assert_eq!(rec.skipped.len(), 60_000 - 20_000);
    assert!(
        rec.skipped.iter().all(|s| s.line % 3 != 1),
        "wrong lines skipped"
    );
    println!("60k-line snmprec parsed in {took:?}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics_and_is_accounted_for(text in "\\PC{0,400}") {
        let rec = snmprec::parse(&text);
        check_accounting(&text, &rec)?;
    }

    #[test]
    fn snmprec_like_text_is_accounted_for(text in snmprec_like_text()) {
        let rec = snmprec::parse(&text);
        check_accounting(&text, &rec)?;
    }

    #[test]
    fn mutated_recordings_are_accounted_for(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(edit(), 1..12),
    ) {
        let (_, original) = which.get(fixtures());
        let text = mutate(original, &edits);
        let rec = snmprec::parse(&text);
        check_accounting(&text, &rec)?;
    }
}

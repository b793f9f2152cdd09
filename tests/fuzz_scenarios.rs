//! The scenario-file parser never panics: shipped scenarios mutated at
//! random (bytes cut, spliced, duplicated, TOML-ish fragments inserted) and
//! arbitrary text give `Ok` or diagnostics, and the diagnostics render
//! (their carets point at byte spans, which must land on char boundaries).
//! The seed corpus in `tests/corpus/scenarios/` is replayed on every run.
//!
//! Budget: `FUZZ_CASES` per run, `P11_FUZZ_CASES` to raise it locally.

mod fuzz_support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use p11_harness::conform::scenario;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Cases per CI run; a few seconds in a debug build.
const FUZZ_CASES: u32 = 2000;

fn shipped() -> &'static [String] {
    static FILES: OnceLock<Vec<String>> = OnceLock::new();
    FILES.get_or_init(|| {
        let mut out = Vec::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "toml") {
                    out.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        out.sort();
        out
    })
}

/// Pieces of scenario syntax, right and wrong, to splice in.
const FRAGMENTS: [&str; 16] = [
    "[[steps]]\n",
    "[generate]\n",
    "expect = [ { status = 200 } ]\n",
    "url = \"{{base_url}}/{{",
    "{{clients.C_BASIC.",
    "level = \"MUST\"\n",
    "level = \"MUTS\"\n",
    "copies = 99999999999999999999\n",
    "sleep_ms = -1\n",
    "repeat = { until_status = 429, max = 0 }\n",
    "capture = { x = { json = \"$..\" } }\n",
    "pkce = { kind = \"pkce_s256\", alphabet = \"\" }\n",
    "= \"\u{e9}\u{1F600}\"\n",
    "\"\"\"\n",
    "\n[steps.expect]\n",
    "requires = [\"nope\"]\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Cut(prop::sample::Index, usize),
    Insert(prop::sample::Index, String),
    Duplicate(prop::sample::Index, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let fragment = prop_oneof![
        prop::sample::select(FRAGMENTS.to_vec()).prop_map(String::from),
        any::<String>()
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), 1usize..40).prop_map(|(i, n)| Edit::Cut(i, n)),
        (any::<prop::sample::Index>(), fragment).prop_map(|(i, f)| Edit::Insert(i, f)),
        (any::<prop::sample::Index>(), 1usize..80).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

/// The char boundary at or before byte `i`.
fn floor(text: &str, i: usize) -> usize {
    (0..=i.min(text.len()))
        .rev()
        .find(|&b| text.is_char_boundary(b))
        .unwrap_or(0)
}

fn apply(mut text: String, edit: &Edit) -> String {
    match edit {
        Edit::Cut(at, n) => {
            let start = floor(&text, at.index(text.len() + 1));
            let end = floor(&text, start + n);
            text.replace_range(start..end, "");
        }
        Edit::Insert(at, fragment) => {
            let at = floor(&text, at.index(text.len() + 1));
            text.insert_str(at, fragment);
        }
        Edit::Duplicate(at, n) => {
            let start = floor(&text, at.index(text.len() + 1));
            let end = floor(&text, start + n);
            let piece = text[start..end].to_owned();
            text.insert_str(end, &piece);
        }
    }
    text
}

fn input() -> impl Strategy<Value = String> {
    let mutated = (any::<prop::sample::Index>(), prop::collection::vec(edit(), 1..6)).prop_map(|(file, edits)| {
        let files = shipped();
        let base = files[file.index(files.len())].clone();
        edits.iter().fold(base, apply)
    });
    prop_oneof![4 => mutated, 1 => any::<String>(), 1 => "([a-z_.\\[\\]{}\"=, \n]|[0-9]){0,200}"]
}

/// Parses `text`; diagnostics must be non-empty and render.
fn check(text: &str) -> Result<(), TestCaseError> {
    let path = PathBuf::from("fuzz/case.toml");
    match scenario::parse(&path, text) {
        Ok(s) => {
            let _ = (s.local_names(), s.profile_vars(), s.templates().count());
            Ok(())
        }
        Err(diagnostics) => {
            prop_assert!(!diagnostics.is_empty(), "an Err with no diagnostic");
            for d in &diagnostics {
                prop_assert!(!d.to_string().is_empty());
            }
            Ok(())
        }
    }
}

fn cases() -> u32 {
    fuzz_support::cases(FUZZ_CASES)
}

#[test]
fn the_scenario_parser_never_panics() {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&input(), |text| check(&text)) {
        panic!("{e}");
    }
}

#[test]
fn corpus_scenarios_parse_or_are_diagnosed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        if let Err(e) = check(&text) {
            panic!("{}: {e}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 4, "the corpus is there: {seen}");
    for text in shipped() {
        check(text).unwrap();
    }
}

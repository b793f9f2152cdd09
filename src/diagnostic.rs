//! Errors that point into a user's file: `path:line:column`, the line, a
//! caret under the spot, and an optional hint (for example a suggestion for a
//! misspelt key).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A message about a span of a file the user wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub source_line: String,
    pub caret_len: usize,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// Builds a diagnostic for the byte range `span` of `source`. A missing
    /// span points at the start of the file.
    pub fn new(path: &Path, source: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        let span = span.unwrap_or(0..0);
        let start = span.start.min(source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
        let source_line = source[line_start..line_end].trim_end_matches('\r').to_owned();
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end);
        let caret_len = source[start..end].chars().count().max(1);
        Self {
            path: path.to_owned(),
            line,
            column,
            message: message.into(),
            source_line,
            caret_len,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A diagnostic from a `toml` deserialisation error, keeping its span.
    pub fn from_toml(path: &Path, source: &str, err: &toml::de::Error) -> Self {
        let message = err.message().trim().to_owned();
        let diag = Self::new(path, source, err.span(), message.clone());
        match suggest_from_toml_message(&message) {
            Some(hint) => diag.with_hint(hint),
            None => diag,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )?;
        let gutter = self.line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {}", self.line, self.source_line)?;
        let pad: String = self
            .source_line
            .chars()
            .take(self.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{:gutter$} | {}{}", "", pad, "^".repeat(self.caret_len))?;
        if let Some(hint) = &self.hint {
            write!(f, "\n{:gutter$} = help: {}", "", hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// serde's unknown-field message reads "unknown field `x`, expected one of
/// `a`, `b`"; turn it into "did you mean `a`?" when one is close.
fn suggest_from_toml_message(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let candidates: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    suggest(unknown, candidates.iter().copied()).map(|s| format!("did you mean `{s}`?"))
}

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a plausible misspelling.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let src = "id = \"x\"\nlevle = \"MUST\"\n";
        let d = Diagnostic::new(Path::new("s.toml"), src, Some(9..14), "unknown field `levle`");
        assert_eq!((d.line, d.column, d.caret_len), (2, 1, 5));
        let shown = d.to_string();
        assert!(shown.starts_with("s.toml:2:1: unknown field `levle`"), "{shown}");
        assert!(shown.contains("2 | levle = \"MUST\""), "{shown}");
        assert!(shown.contains("  | ^^^^^"), "{shown}");
    }

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(suggest("levle", ["level", "title", "id"]), Some("level"));
        assert_eq!(suggest("zzzzzz", ["level", "title"]), None);
    }

    #[test]
    fn toml_unknown_field_gets_a_hint() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            level: String,
        }
        let src = "levle = \"MUST\"\n";
        let err = toml::from_str::<S>(src).unwrap_err();
        let d = Diagnostic::from_toml(Path::new("a.toml"), src, &err);
        assert_eq!((d.line, d.column), (1, 1));
        assert_eq!(d.hint.as_deref(), Some("did you mean `level`?"));
    }
}

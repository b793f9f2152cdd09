//! `summary.json`: the [`Summary`] as pretty JSON, checked against
//! `schemas/load-summary.schema.json` by `tests/load_schema.rs`.

use std::io::{self, Write};

use crate::load::summary::Summary;

pub fn write(w: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, summary).map_err(io::Error::other)?;
    writeln!(w)
}

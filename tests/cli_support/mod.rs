//! Running the built binary from the repository root, for the tests that
//! meet it as a user does.

use std::process::{Command, Output};

pub fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_p11-harness"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

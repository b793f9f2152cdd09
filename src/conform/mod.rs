//! The conformance runner (placeholder: being written).

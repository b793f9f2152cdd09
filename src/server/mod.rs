//! The reference Point11 server (placeholder: being written).

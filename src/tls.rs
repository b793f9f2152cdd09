//! Local CA and server certificates (placeholder: being written).

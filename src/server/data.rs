//! The data behind the protected resources: production ("live") audits,
//! kept in memory and writable, and fixed sandbox ("test") data that no
//! request can change.

use std::sync::Mutex;

use serde_json::{Value, json};

use crate::fixtures::Environment;

#[derive(Debug)]
pub struct AuditStore {
    live: Mutex<Vec<Value>>,
}

impl AuditStore {
    pub fn new() -> Self {
        Self {
            live: Mutex::new(seed_live()),
        }
    }

    pub fn reset(&self) {
        *self.live.lock().expect("audit store lock") = seed_live();
    }

    /// The audits an environment sees.
    pub fn list(&self, environment: Environment) -> Vec<Value> {
        match environment {
            Environment::Live => self.live.lock().expect("audit store lock").clone(),
            Environment::Test => sandbox_audits(),
        }
    }

    /// Appends to production; returns the stored audit with its new id.
    pub fn append_live(&self, fields: serde_json::Map<String, Value>, created_at: i64) -> Value {
        let mut live = self.live.lock().expect("audit store lock");
        let mut audit = fields;
        audit.insert("id".into(), json!(format!("aud_live_{:04}", live.len() + 1)));
        audit.insert("created_at".into(), json!(created_at));
        let audit = Value::Object(audit);
        live.push(audit.clone());
        audit
    }
}

impl Default for AuditStore {
    fn default() -> Self {
        Self::new()
    }
}

fn seed_live() -> Vec<Value> {
    vec![
        json!({"id": "aud_live_0001", "title": "Quarterly access review", "status": "closed", "created_at": 1_704_067_200}),
        json!({"id": "aud_live_0002", "title": "Key rotation check", "status": "open", "created_at": 1_706_140_800}),
    ]
}

fn sandbox_audits() -> Vec<Value> {
    vec![json!({"id": "aud_test_0001", "title": "Sandbox sample audit", "status": "open", "created_at": 1_704_067_200})]
}

/// Analytics figures per environment.
pub fn analytics(environment: Environment) -> Value {
    match environment {
        Environment::Live => json!({"requests_last_24h": 18_342, "error_rate": 0.0042, "active_clients": 37}),
        Environment::Test => json!({"requests_last_24h": 120, "error_rate": 0.0, "active_clients": 2}),
    }
}

pub fn environment_name(environment: Environment) -> &'static str {
    match environment {
        Environment::Live => "live",
        Environment::Test => "test",
    }
}

//! Helpers shared by the sandbox integration tests: start a real sandbox in-process and
//! talk to it over loopback HTTP with reqwest.

#![allow(dead_code)]

use ddhooks::sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The API key the tests send (any non-empty key is accepted by default).
pub const API_KEY: &str = "test-api-key";
/// The application key the tests send.
pub const APP_KEY: &str = "test-app-key";

/// A running sandbox plus an HTTP client pointed at it.
pub struct Harness {
    /// The sandbox.
    pub sandbox: RunningSandbox,
    /// Its base URL.
    pub base: String,
    /// A plain client (no default headers).
    pub http: reqwest::Client,
}

impl Harness {
    /// Starts a sandbox with `config`.
    pub async fn start(config: SandboxConfig) -> Self {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        let base = sandbox.base_url();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        Self {
            sandbox,
            base,
            http,
        }
    }

    /// A request builder with both keys set.
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("DD-API-KEY", API_KEY)
            .header("DD-APPLICATION-KEY", APP_KEY)
    }

    /// Sends a request with both keys and an optional JSON body; returns status and JSON body
    /// (`Value::Null` when the body is empty, a string when it is not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.req(method, path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request is answered");
        decode(resp).await
    }

    /// Same as [`Harness::call`] with a raw text body sent as JSON content.
    pub async fn call_raw(&self, method: Method, path: &str, body: &str) -> (StatusCode, Value) {
        let resp = self
            .req(method, path)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request is answered");
        decode(resp).await
    }

    /// GET on a `/sandbox/v1/` path (no keys needed).
    pub async fn sim_get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("sandbox answers");
        decode(resp).await.1
    }

    /// POST on a `/sandbox/v1/` path.
    pub async fn sim_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("sandbox answers");
        decode(resp).await
    }
}

/// Status and body of a response as JSON.
pub async fn decode(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.expect("body is readable");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

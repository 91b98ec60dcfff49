//! Webhook auth methods (API v2, `/api/v2/integration/webhooks/configuration/auth-method`):
//! OAuth2 client-credentials methods as the recording shows them (201 on create, the secret
//! never answered, `scope`/`audience` `null` when unset, 204 on delete, the recorded 404),
//! as pure functions over [`Data`], so that every check runs before anything is stored.

use crate::data::{replace_given, Data, StoredAuthMethod};
use crate::error::ApiError;
use crate::integration::parse_body;
use ddhooks_datadog::wire::{
    AuthMethodList, AuthMethodSummary, AuthMethodSummaryAttributes, OAuth2AuthMethodAttributes,
    OAuth2AuthMethodData, OAuth2AuthMethodDocument, OAuth2AuthMethodWrite,
    OAuth2AuthMethodWriteRequest, AUTH_METHOD_TYPE, OAUTH2_AUTH_METHOD_TYPE, OAUTH2_PROTOCOL,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// The recorded 404 message for auth methods.
pub const AUTH_METHOD_NOT_FOUND: &str = "The requested auth method does not exist.";

fn not_found() -> ApiError {
    ApiError::not_found(AUTH_METHOD_NOT_FOUND)
}

fn invalid(reason: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid request: {reason}"))
}

/// A new random UUID that no auth method of `data` has.
pub fn unused_id(data: &Data) -> String {
    crate::rules::unused_uuid(|id| data.auth_methods.contains_key(id))
}

/// Parses a create or PATCH body: `data.type` must be [`OAUTH2_AUTH_METHOD_TYPE`], no
/// attribute may be unknown, and every string given must be non-blank (`access_token_url` an
/// `http(s)://` URL).
pub fn parse(body: &Value) -> Result<OAuth2AuthMethodWrite, ApiError> {
    let request: OAuth2AuthMethodWriteRequest = parse_body(body)?;
    if request.data.kind != OAUTH2_AUTH_METHOD_TYPE {
        return Err(invalid(format!(
            "data.type must be '{OAUTH2_AUTH_METHOD_TYPE}', not '{}'",
            request.data.kind
        )));
    }
    let write = request.data.attributes;
    let given = [
        ("name", write.name.as_ref()),
        ("access_token_url", write.access_token_url.as_ref()),
        ("client_id", write.client_id.as_ref()),
        ("client_secret", write.client_secret.as_ref()),
        ("audience", write.audience.as_ref().and_then(Option::as_ref)),
        ("scope", write.scope.as_ref().and_then(Option::as_ref)),
    ];
    if let Some((field, _)) = given
        .iter()
        .find(|(_, value)| value.is_some_and(|v| v.trim().is_empty()))
    {
        return Err(invalid(format!("{field} must not be empty")));
    }
    if let Some(url) = &write.access_token_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(invalid(format!(
                "access_token_url '{url}' must be an http(s) URL"
            )));
        }
    }
    Ok(write)
}

/// Refuses `name` when another auth method (not `except`) has it.
///
/// The API lists 409 Conflict for a create and an update without saying what conflicts;
/// a name used twice is this sandbox's assumption of the cause (names are what people and
/// Terraform know an auth method by).
fn check_unique_name(data: &Data, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    let taken = data
        .auth_methods
        .iter()
        .any(|(id, method)| method.name == name && Some(id.as_str()) != except);
    if taken {
        return Err(ApiError::conflict(format!(
            "An auth method named '{name}' already exists."
        )));
    }
    Ok(())
}

/// The answer's `data` for a stored method: every attribute but the secret.
fn answer_data(id: &str, method: &StoredAuthMethod) -> OAuth2AuthMethodData {
    OAuth2AuthMethodData {
        kind: OAUTH2_AUTH_METHOD_TYPE.to_string(),
        id: id.to_string(),
        attributes: OAuth2AuthMethodAttributes {
            name: method.name.clone(),
            protocol: OAUTH2_PROTOCOL.to_string(),
            access_token_url: method.access_token_url.clone(),
            client_id: method.client_id.clone(),
            scope: method.scope.clone(),
            audience: method.audience.clone(),
        },
    }
}

fn document(id: &str, method: &StoredAuthMethod) -> OAuth2AuthMethodDocument {
    OAuth2AuthMethodDocument {
        data: answer_data(id, method),
    }
}

/// `POST …/auth-method/oauth2-client-credentials` (201): needs `name`, `access_token_url`,
/// `client_id` and `client_secret` (a 400 names the first missing); `audience` and `scope`
/// are optional.
pub fn create(
    data: &mut Data,
    write: OAuth2AuthMethodWrite,
    id: &str,
) -> Result<OAuth2AuthMethodDocument, ApiError> {
    let required = |field: &str, value: Option<String>| {
        value.ok_or_else(|| invalid(format!("{field} is required")))
    };
    let method = StoredAuthMethod {
        name: required("name", write.name)?,
        access_token_url: required("access_token_url", write.access_token_url)?,
        client_id: required("client_id", write.client_id)?,
        client_secret: required("client_secret", write.client_secret)?,
        audience: write.audience.flatten(),
        scope: write.scope.flatten(),
    };
    check_unique_name(data, &method.name, None)?;
    let answer = document(id, &method);
    data.auth_methods.insert(id.to_string(), method);
    Ok(answer)
}

/// `GET …/auth-method/oauth2-client-credentials/{id}`.
pub fn get(data: &Data, id: &str) -> Result<OAuth2AuthMethodDocument, ApiError> {
    let method = data.auth_methods.get(id).ok_or_else(not_found)?;
    Ok(document(id, method))
}

/// `PATCH …/{id}`: what the body gives replaces what is stored; `null` clears `audience` or
/// `scope`; what it leaves out is kept.
pub fn update(
    data: &mut Data,
    id: &str,
    write: OAuth2AuthMethodWrite,
) -> Result<OAuth2AuthMethodDocument, ApiError> {
    let mut method = data.auth_methods.get(id).ok_or_else(not_found)?.clone();
    if let Some(name) = write.name {
        check_unique_name(data, &name, Some(id))?;
        method.name = name;
    }
    replace_given(&mut method.access_token_url, write.access_token_url);
    replace_given(&mut method.client_id, write.client_id);
    replace_given(&mut method.client_secret, write.client_secret);
    replace_given(&mut method.audience, write.audience);
    replace_given(&mut method.scope, write.scope);
    let answer = document(id, &method);
    data.auth_methods.insert(id.to_string(), method);
    Ok(answer)
}

/// `DELETE …/{id}` (204, empty body).
pub fn delete(data: &mut Data, id: &str) -> Result<(), ApiError> {
    data.auth_methods
        .remove(id)
        .map(|_| ())
        .ok_or_else(not_found)
}

/// The listing's query as sent: `include`, a comma-separated list of relationships.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// `oauth2-client-credentials` adds the methods' attributes as `included`.
    pub include: Option<String>,
}

impl ListQuery {
    /// Whether `included` is asked for; a relationship other than
    /// `oauth2-client-credentials` is a 400.
    pub fn includes(&self) -> Result<bool, ApiError> {
        let Some(include) = &self.include else {
            return Ok(false);
        };
        for part in include.split(',').map(str::trim) {
            if part != OAUTH2_PROTOCOL {
                return Err(ApiError::bad_request(format!(
                    "Invalid include '{part}': expected '{OAUTH2_PROTOCOL}'"
                )));
            }
        }
        Ok(true)
    }
}

/// `GET …/auth-method`: every auth method (the API does not page), by name then id (the
/// order Datadog lists them in is not recorded), with their attributes in `included` when
/// asked.
pub fn list(data: &Data, include: bool) -> AuthMethodList {
    let mut methods: Vec<(&String, &StoredAuthMethod)> = data.auth_methods.iter().collect();
    methods.sort_by(|a, b| (&a.1.name, a.0).cmp(&(&b.1.name, b.0)));
    let summaries = methods
        .iter()
        .map(|(id, _)| AuthMethodSummary {
            kind: AUTH_METHOD_TYPE.to_string(),
            id: id.to_string(),
            attributes: AuthMethodSummaryAttributes {
                protocol: OAUTH2_PROTOCOL.to_string(),
            },
            relationships: Some(json!({
                OAUTH2_PROTOCOL: {"data": {"id": id, "type": OAUTH2_AUTH_METHOD_TYPE}}
            })),
        })
        .collect();
    let included = include.then(|| {
        methods
            .iter()
            .map(|(id, method)| answer_data(id, method))
            .collect()
    });
    AuthMethodList {
        data: summaries,
        included,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::v2_body;

    fn full() -> Value {
        v2_body(
            OAUTH2_AUTH_METHOD_TYPE,
            json!({"name": "n", "access_token_url": "https://t", "client_id": "c",
            "client_secret": "s"}),
        )
    }

    #[test]
    fn a_create_needs_every_required_attribute_and_stores_nothing_on_error() {
        let mut data = Data::default();
        for field in ["name", "access_token_url", "client_id", "client_secret"] {
            let mut request = full();
            request["data"]["attributes"]
                .as_object_mut()
                .unwrap()
                .remove(field);
            let err = create(&mut data, parse(&request).unwrap(), "id").unwrap_err();
            assert_eq!(err.status, 400);
            assert!(err.message.contains(field), "{}", err.message);
        }
        assert!(data.auth_methods.is_empty());
        let answer = create(&mut data, parse(&full()).unwrap(), "id").unwrap();
        let text = serde_json::to_string(&answer).unwrap();
        assert!(!text.contains("client_secret"), "{text}");
        assert_eq!(data.auth_methods["id"].client_secret, "s");
    }

    #[test]
    fn bad_bodies_are_400s() {
        let wrong_type = json!({"data": {"type": "webhooks", "attributes": {}}});
        let unknown = v2_body(
            OAUTH2_AUTH_METHOD_TYPE,
            json!({"name": "n", "colour": "red"}),
        );
        let empty = v2_body(OAUTH2_AUTH_METHOD_TYPE, json!({"client_id": " "}));
        let not_a_url = v2_body(
            OAUTH2_AUTH_METHOD_TYPE,
            json!({"access_token_url": "example.com"}),
        );
        for bad in [wrong_type, unknown, empty, not_a_url, json!([]), json!({})] {
            assert_eq!(parse(&bad).unwrap_err().status, 400, "{bad}");
        }
    }

    #[test]
    fn include_accepts_only_the_oauth2_relationship() {
        let query = |include: &str| ListQuery {
            include: Some(include.to_string()),
        };
        assert!(!ListQuery::default().includes().unwrap());
        assert!(query("oauth2-client-credentials").includes().unwrap());
        assert_eq!(query("users").includes().unwrap_err().status, 400);
    }
}

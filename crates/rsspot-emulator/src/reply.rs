//! Responses of the emulator and the Kubernetes `Status` bodies the real API server answers with.

use serde_json::{Value, json};

/// The API group of every Spot kind.
pub(crate) const GROUP: &str = "ngpc.rxt.io";

/// A finished HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON response.
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
            headers: Vec::new(),
        }
    }

    /// A plain-text response (the gateway's 401 bodies).
    pub(crate) fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain",
            body: body.as_bytes().to_vec(),
            headers: Vec::new(),
        }
    }

    /// An XML response (S3 errors).
    pub(crate) fn xml(status: u16, body: String) -> Reply {
        Reply {
            status,
            content_type: "application/xml",
            body: body.into_bytes(),
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

/// A field-level cause of a 422 `Invalid`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cause {
    pub reason: &'static str,
    pub field: String,
    pub message: String,
}

impl Cause {
    /// `FieldValueRequired`.
    pub(crate) fn required(field: &str) -> Cause {
        Cause {
            reason: "FieldValueRequired",
            field: field.into(),
            message: "Required value".into(),
        }
    }

    /// `FieldValueInvalid` with the offending value.
    pub(crate) fn invalid(field: &str, value: &Value, why: impl AsRef<str>) -> Cause {
        Cause {
            reason: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: {}: {}", render(value), why.as_ref()),
        }
    }

    /// `FieldValueNotSupported` for enums.
    pub(crate) fn not_supported(field: &str, value: &Value, allowed: &[&str]) -> Cause {
        let list: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        Cause {
            reason: "FieldValueNotSupported",
            field: field.into(),
            message: format!(
                "Unsupported value: {}: supported values: {}",
                render(value),
                list.join(", ")
            ),
        }
    }
}

/// How apiserver renders a value inside a validation message.
fn render(v: &Value) -> String {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => v.to_string(),
        Value::Null => "null".into(),
        _ => format!("\"{}\"", type_name(v)),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A `Status` failure body.
pub(crate) fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Reply {
    let mut body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let (Some(d), Some(obj)) = (details, body.as_object_mut()) {
        obj.insert("details".into(), d);
    }
    Reply::json(code, &body)
}

/// 404 `NotFound` for an object.
pub(crate) fn not_found(plural: &str, name: &str) -> Reply {
    status(
        404,
        "NotFound",
        &format!("{plural}.{GROUP} \"{name}\" not found"),
        Some(json!({"name": name, "group": GROUP, "kind": plural})),
    )
}

/// 404 for a path the API server does not serve.
pub(crate) fn no_route() -> Reply {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

/// 405 for a method a resource does not support.
pub(crate) fn method_not_allowed(method: &str) -> Reply {
    status(
        405,
        "MethodNotAllowed",
        &format!("the server does not allow this method on the requested resource ({method})"),
        Some(json!({})),
    )
}

/// 409 `AlreadyExists`.
pub(crate) fn already_exists(plural: &str, name: &str) -> Reply {
    status(
        409,
        "AlreadyExists",
        &format!("{plural}.{GROUP} \"{name}\" already exists"),
        Some(json!({"name": name, "group": GROUP, "kind": plural})),
    )
}

/// 409 `Conflict` for a stale `resourceVersion`.
pub(crate) fn conflict(plural: &str, name: &str) -> Reply {
    status(
        409,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {plural}.{GROUP} \"{name}\": the object has been \
             modified; please apply your changes to the latest version and try again"
        ),
        Some(json!({"name": name, "group": GROUP, "kind": plural})),
    )
}

/// 422 `Invalid` with field causes.
pub(crate) fn invalid(kind: &str, name: &str, causes: &[Cause]) -> Reply {
    let summary: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    let summary = if summary.len() == 1 {
        summary.join("")
    } else {
        format!("[{}]", summary.join(", "))
    };
    let causes: Vec<Value> = causes
        .iter()
        .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
        .collect();
    status(
        422,
        "Invalid",
        &format!("{kind}.{GROUP} \"{name}\" is invalid: {summary}"),
        Some(json!({"name": name, "group": GROUP, "kind": kind, "causes": causes})),
    )
}

/// 400 `BadRequest`.
pub(crate) fn bad_request(message: &str) -> Reply {
    status(400, "BadRequest", message, None)
}

/// 415 `UnsupportedMediaType`.
pub(crate) fn unsupported_media(content_type: &str) -> Reply {
    status(
        415,
        "UnsupportedMediaType",
        &format!(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type:?})"
        ),
        None,
    )
}

/// The `Status` of a successful delete.
pub(crate) fn delete_success(plural: &str, name: Option<&str>, uid: Option<&str>) -> Reply {
    let mut details = json!({"group": GROUP, "kind": plural});
    if let Some(obj) = details.as_object_mut() {
        if let Some(n) = name {
            obj.insert("name".into(), json!(n));
        }
        if let Some(u) = uid {
            obj.insert("uid".into(), json!(u));
        }
    }
    Reply::json(
        200,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": details}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Reply) -> Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn status_shapes() {
        let r = not_found("cloudspaces", "demo-dfw");
        assert_eq!(r.status, 404);
        assert_eq!(
            body(&r)["message"],
            "cloudspaces.ngpc.rxt.io \"demo-dfw\" not found"
        );
        let r = invalid(
            "SpotNodePool",
            "x",
            &[Cause::invalid(
                "spec.bidPrice",
                &json!("1.2345"),
                "too many",
            )],
        );
        let b = body(&r);
        assert_eq!(b["code"], 422);
        assert_eq!(b["details"]["causes"][0]["field"], "spec.bidPrice");
        assert_eq!(
            b["message"],
            "SpotNodePool.ngpc.rxt.io \"x\" is invalid: spec.bidPrice: Invalid value: \"1.2345\": too many"
        );
    }
}

//! What an operation does to its resource, derived once from its method and path template, so
//! the request pipeline reads a fact instead of guessing from operation-id prefixes.
//!
//! The template decides the shape: a last segment that is a `{parameter}` or a document
//! (`percentiles.json`) names one thing, any other literal names a collection. Where upstream
//! states the Kubernetes verb (`x-kubernetes-action`), the derived action must agree with it, so
//! a spec that changes shape fails loudly instead of producing a pipeline that pages a `get` or
//! resolves a conflict on something that is not a create.

use serde_json::Value;

/// Extension key upstream's Kubernetes-generated operations carry (`list`, `get`, `post`, ...).
pub const K8S_ACTION: &str = "x-kubernetes-action";

/// POSTs that create nothing: token exchanges and documents computed on request. Replaying them
/// is safe, and a 409 to them is not an object that already exists.
pub const POSTS_WITHOUT_SIDE_EFFECTS: [&str; 2] = ["getOauthToken", "generateKubeconfig"];

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// GET of a collection (answers are paged).
    List,
    /// GET of one object or document.
    Get,
    /// POST to a collection: creates one object.
    Create,
    /// PUT of one object.
    Replace,
    /// PATCH of one object.
    Patch,
    /// DELETE of one object.
    Delete,
    /// DELETE of a whole collection.
    DeleteCollection,
    /// Anything else (token exchange, computed documents).
    Other,
}

impl Action {
    /// The variant's name as the generated table spells it.
    pub fn as_variant(self) -> &'static str {
        match self {
            Action::List => "List",
            Action::Get => "Get",
            Action::Create => "Create",
            Action::Replace => "Replace",
            Action::Patch => "Patch",
            Action::Delete => "Delete",
            Action::DeleteCollection => "DeleteCollection",
            Action::Other => "Other",
        }
    }

    /// The Kubernetes verb this action is, as `x-kubernetes-action` spells it.
    fn k8s_verb(self) -> Option<&'static str> {
        Some(match self {
            Action::List => "list",
            Action::Get => "get",
            Action::Create => "post",
            Action::Replace => "put",
            Action::Patch => "patch",
            Action::Delete => "delete",
            Action::DeleteCollection => "deletecollection",
            Action::Other => return None,
        })
    }
}

/// Whether a path template names a collection rather than one object or document.
pub fn is_collection(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !(last.is_empty() || (last.starts_with('{') && last.ends_with('}')) || last.contains('.'))
}

/// The action of operation `id` (`METHOD`, upper case, on `path`), checked against upstream's
/// `x-kubernetes-action` of `op` where it has one.
pub fn action(id: &str, method: &str, path: &str, op: &Value) -> Result<Action, String> {
    let many = is_collection(path);
    let derived = match (method, many) {
        ("POST", _) if POSTS_WITHOUT_SIDE_EFFECTS.contains(&id) => Action::Other,
        ("GET", true) => Action::List,
        ("GET" | "HEAD", false) => Action::Get,
        ("POST", true) => Action::Create,
        ("PUT", false) => Action::Replace,
        ("PATCH", false) => Action::Patch,
        ("DELETE", false) => Action::Delete,
        ("DELETE", true) => Action::DeleteCollection,
        _ => {
            return Err(format!(
                "{id}: no action for {method} {path} (a {} template); say what it does in \
                 crates/rsspot-codegen/src/action.rs",
                if many { "collection" } else { "one-object" }
            ));
        }
    };
    if let Some(stated) = op.get(K8S_ACTION).and_then(Value::as_str)
        && derived.k8s_verb() != Some(stated)
    {
        return Err(format!(
            "{id}: {method} {path} is `{}` by its template but `{K8S_ACTION}: {stated}` upstream",
            derived.as_variant()
        ));
    }
    Ok(derived)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        let ns = "/apis/g/v1/namespaces/{namespace}/things";
        let none = json!({});
        assert_eq!(action("a", "GET", ns, &none), Ok(Action::List));
        assert_eq!(
            action("a", "GET", &format!("{ns}/{{name}}"), &none),
            Ok(Action::Get)
        );
        assert_eq!(action("a", "POST", ns, &none), Ok(Action::Create));
        assert_eq!(
            action("a", "DELETE", ns, &none),
            Ok(Action::DeleteCollection)
        );
        assert_eq!(
            action("a", "PATCH", &format!("{ns}/{{name}}"), &none),
            Ok(Action::Patch)
        );
        assert_eq!(
            action("a", "GET", "/percentiles.json", &none),
            Ok(Action::Get)
        );
        assert_eq!(
            action("getOauthToken", "POST", "/oauth/token", &none),
            Ok(Action::Other)
        );
    }

    #[test]
    fn disagreement_with_upstream_fails_loudly() {
        let e = action("a", "GET", "/apis/g/v1/things", &json!({K8S_ACTION: "get"})).unwrap_err();
        assert!(e.contains("x-kubernetes-action"), "{e}");
        assert!(action("a", "PATCH", "/apis/g/v1/things", &json!({})).is_err());
    }
}

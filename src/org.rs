//! One way to name an organization, resolved by one set of rules: a name (`acme-dev`, or its
//! display name in any case), an id (`org_Q3vXh8LmP2sTnR7a`) or a namespace
//! (`org-q3vxh8lmp2stnr7a`).

use crate::auth::namespace_for_org_id;
use crate::raw::types::OrganizationListOrganizationsItem;

/// How the user named an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgRef {
    /// An org name as shown in the console.
    Name(String),
    /// An org id (`org_…`).
    Id(String),
    /// An org namespace (`org-…`), lower case.
    Namespace(String),
}

impl OrgRef {
    /// Reads a user's spelling: `org_…` is an id, `org-…` a namespace, anything else a name.
    pub fn parse(s: &str) -> OrgRef {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("org_") {
            OrgRef::Id(t.to_string())
        } else if lower.starts_with("org-") {
            OrgRef::Namespace(lower)
        } else {
            OrgRef::Name(t.to_string())
        }
    }

    /// The namespace, when the spelling alone says it (ids and namespaces).
    pub fn namespace(&self) -> Option<String> {
        match self {
            OrgRef::Name(_) => None,
            OrgRef::Id(id) => Some(namespace_for_org_id(id)),
            OrgRef::Namespace(ns) => Some(ns.clone()),
        }
    }

    /// Whether an entry of the organizations list is the one named.
    pub fn matches(&self, org: &OrganizationListOrganizationsItem) -> bool {
        match self {
            OrgRef::Name(name) => {
                org.name.as_deref() == Some(name.as_str())
                    || org
                        .display_name
                        .as_deref()
                        .is_some_and(|d| d.eq_ignore_ascii_case(name))
            }
            other => other
                .namespace()
                .is_some_and(|ns| namespace_of(org).as_deref() == Some(ns.as_str())),
        }
    }
}

impl std::fmt::Display for OrgRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrgRef::Name(s) | OrgRef::Id(s) | OrgRef::Namespace(s) => f.write_str(s),
        }
    }
}

/// The namespace of an entry of the organizations list: its `metadata.namespace`, else the
/// namespace rule applied to its id.
pub fn namespace_of(org: &OrganizationListOrganizationsItem) -> Option<String> {
    org.metadata
        .as_ref()
        .and_then(|m| m.namespace.clone())
        .or_else(|| org.id.as_deref().map(namespace_for_org_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str, id: &str) -> OrganizationListOrganizationsItem {
        serde_json::from_value(
            serde_json::json!({"name": name, "id": id, "display_name": "Acme Dev"}),
        )
        .expect("org")
    }

    #[test]
    fn spellings() {
        assert_eq!(OrgRef::parse("acme-dev"), OrgRef::Name("acme-dev".into()));
        assert_eq!(
            OrgRef::parse("ORG-ABC").namespace().as_deref(),
            Some("org-abc")
        );
        assert_eq!(
            OrgRef::parse("org_AbC").namespace().as_deref(),
            Some("org-abc")
        );
        let o = org("acme-dev", "org_AbC");
        for s in [
            "acme-dev", "acme dev", "ACME DEV", "org_AbC", "org-abc", "ORG-ABC",
        ] {
            assert!(OrgRef::parse(s).matches(&o), "{s}");
        }
        for s in ["acme", "Acme-Dev", "org-abd", "org_AbD"] {
            assert!(!OrgRef::parse(s).matches(&o), "{s}");
        }
    }
}

//! Which flag or spec key to change when a VM request is refused: the API names a field
//! (`spec.vmImage`, `bidPrice`), the user typed a `--vm-pool` key, a flag or a file key. One
//! table maps each field to the three spellings; [`explain`] adds the fix to the error.

use rsspot::Error;

/// How the user gave the VM pool (or cloudspace) the error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `vm-cloudspaces create --vm-pool "serverclass=…,bidprice=…"`.
    PoolSpec,
    /// `vm-pools create|update --bid-price …`.
    PoolFlags,
    /// `vm-cloudspaces create -f FILE` (spotctl's layout).
    File,
}

/// One field of a VM request: its API name and how each form spells it.
struct Field {
    /// The API field without `spec.` (`bidPrice`).
    api: &'static str,
    /// The `--vm-pool` key, or the flag when the spec has no key for it.
    spec: &'static str,
    /// The flag of `vm-pools create|update` and `vm-cloudspaces create`.
    flag: &'static str,
    /// The key in the `-f` file.
    file: &'static str,
}

/// The field → flag table (vm-cloudspaces create and vm-pools create/update).
const FIELDS: &[Field] = &[
    Field {
        api: "bidPrice",
        spec: "bidprice=",
        flag: "--bid-price",
        file: "vmPools[].bidPrice",
    },
    Field {
        api: "vmImage",
        spec: "vmimage=",
        flag: "--vm-image",
        file: "vmPools[].vmImage",
    },
    Field {
        api: "serverClass",
        spec: "serverclass=",
        flag: "--server-class",
        file: "vmPools[].serverClass",
    },
    Field {
        api: "desired",
        spec: "desired=",
        flag: "--desired",
        file: "vmPools[].desired",
    },
    Field {
        api: "poolType",
        spec: "pooltype=",
        flag: "--pool-type",
        file: "vmPools[].poolType",
    },
    Field {
        api: "vmUserData",
        spec: "--vm-userdata / --vm-userdata-from-script",
        flag: "--vm-userdata / --vm-userdata-from-script",
        file: "vmPools[].vmUserData",
    },
    Field {
        api: "region",
        spec: "--region",
        flag: "--region",
        file: "vmCloudSpace.region",
    },
    Field {
        api: "vmSshKeyRef",
        spec: "--vm-ssh-key-name",
        flag: "--vm-ssh-key-name",
        file: "vmCloudSpace.vmSshKeyRef.name",
    },
    Field {
        api: "webhook",
        spec: "--webhook",
        flag: "--webhook",
        file: "vmCloudSpace.webhook",
    },
];

/// What the server (or the local check) wants done with the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Add,
    Drop,
    Change,
}

fn verb_of(message: &str) -> Verb {
    let m = message.to_ascii_lowercase();
    if m.contains("required") || m.contains("needs a") || m.contains("is missing") {
        Verb::Add
    } else if [
        "takes no",
        "not allowed",
        "forbidden",
        "must not",
        "not supported",
    ]
    .iter()
    .any(|w| m.contains(w))
    {
        Verb::Drop
    } else {
        Verb::Change
    }
}

/// The fix for a refused `field` (API name, with or without `spec.`), in the user's form.
pub fn fix_for(field: &str, message: &str, form: Form) -> Option<String> {
    let api = field.trim().strip_prefix("spec.").unwrap_or(field.trim());
    let f = FIELDS
        .iter()
        .find(|f| api == f.api || api.starts_with(&format!("{}.", f.api)))?;
    let verb = verb_of(message);
    Some(match (form, verb) {
        (Form::PoolSpec, _) if !f.spec.ends_with('=') => phrase(verb, f.spec, ""),
        (Form::PoolSpec, Verb::Add) => format!("add {}… to the --vm-pool", f.spec),
        (Form::PoolSpec, Verb::Drop) => format!("drop {} from the --vm-pool", f.spec),
        (Form::PoolSpec, Verb::Change) => format!("change {} in the --vm-pool", f.spec),
        (Form::PoolFlags, _) => phrase(verb, f.flag, ""),
        (Form::File, _) => phrase(verb, f.file, " in the file"),
    })
}

fn phrase(verb: Verb, what: &str, place: &str) -> String {
    match verb {
        Verb::Add => format!("add {what}{place}"),
        Verb::Drop => format!("drop {what}{place}"),
        Verb::Change => format!("change {what}{place}"),
    }
}

/// A library error with what to change, and (for an inline pool) which pool it was about.
#[derive(Debug)]
pub struct Explained {
    /// Which request failed (`vm pool 2 of 2 (…)`), when the error is about one of several.
    pub about: Option<String>,
    /// The flag or key to change.
    pub fix: Option<String>,
    /// The library error (exit code and hint come from it).
    pub source: Error,
}

impl std::fmt::Display for Explained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(about) = &self.about {
            write!(f, "{about}: ")?;
        }
        write!(f, "{}", self.source)?;
        if let Some(fix) = &self.fix {
            write!(f, " (to fix: {fix})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Explained {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Adds the flag/key to change to a refused VM request; other errors pass as they are.
pub fn explain(e: anyhow::Error, form: Form) -> anyhow::Error {
    match e.downcast::<Error>() {
        Ok(err) => explained(err, form, None),
        Err(e) => e,
    }
}

/// [`explain`] for a library error, saying which request it was about.
pub fn explained(err: Error, form: Form, about: Option<String>) -> anyhow::Error {
    let fix = match &err {
        Error::Invalid {
            field: Some(field),
            message,
        } => fix_for(field, message, form),
        _ => None,
    };
    if fix.is_none() && about.is_none() {
        return err.into();
    }
    anyhow::Error::new(Explained {
        about,
        fix,
        source: err,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_map_to_the_form_the_user_typed() {
        let required = "Required value";
        assert_eq!(
            fix_for("spec.vmImage", required, Form::PoolSpec).as_deref(),
            Some("add vmimage=… to the --vm-pool")
        );
        assert_eq!(
            fix_for("spec.vmImage", required, Form::PoolFlags).as_deref(),
            Some("add --vm-image")
        );
        assert_eq!(
            fix_for(
                "spec.bidPrice",
                "an ondemand pool takes no bid",
                Form::PoolSpec
            )
            .as_deref(),
            Some("drop bidprice= from the --vm-pool")
        );
        assert_eq!(
            fix_for("bidPrice", "a spot VM pool needs a bid", Form::File).as_deref(),
            Some("add vmPools[].bidPrice in the file")
        );
        assert_eq!(
            fix_for(
                "spec.bidPrice",
                "must have at most 3 decimals",
                Form::PoolFlags
            )
            .as_deref(),
            Some("change --bid-price")
        );
        assert_eq!(
            fix_for("spec.vmSshKeyRef.name", required, Form::PoolSpec).as_deref(),
            Some("add --vm-ssh-key-name")
        );
        assert_eq!(fix_for("metadata.name", required, Form::PoolSpec), None);
    }

    #[test]
    fn the_explained_error_keeps_its_source_and_reads_as_one_line() {
        let e = explained(
            Error::invalid("spec.vmImage", "Required value"),
            Form::PoolSpec,
            Some("vm pool 2 of 2 (c, spot)".into()),
        );
        assert_eq!(
            e.to_string(),
            "vm pool 2 of 2 (c, spot): invalid spec.vmImage: Required value (to fix: add vmimage=… to the --vm-pool)"
        );
        assert!(e.chain().any(|c| c.downcast_ref::<Error>().is_some()));
        let plain = explain(anyhow::anyhow!("other"), Form::PoolFlags);
        assert_eq!(plain.to_string(), "other");
    }
}

//! Runs progenitor on the effective spec and renders the bindings (deterministically, with
//! `prettyplease`), with the post-processing the generated code needs.

use serde_json::Value;

use crate::spec::{BANNER, fail};

/// Schemas whose Rust type is hand-written, and that type. These documents vary on the wire
/// (prices as strings, `$`-strings or numbers; counts quoted or not; `null` for empty), so their
/// types decode leniently and keep unknown keys; the generated builders decode straight into them,
/// so one thing has one name and nothing is converted after the call.
pub const REPLACEMENTS: &[(&str, &str)] = &[
    ("PriceHistory", "crate::pricing::docs::PriceHistory"),
    ("Percentiles", "crate::pricing::docs::Percentiles"),
    ("ComparablePrices", "crate::pricing::docs::ComparablePrices"),
    ("VmCloudSpace", "crate::types::inventory::VmCloudSpace"),
    (
        "VmCloudSpaceList",
        "crate::types::inventory::VmCloudSpaceList",
    ),
    ("VmPool", "crate::types::inventory::VmPool"),
    ("VmPoolList", "crate::types::inventory::VmPoolList"),
    (
        "OrganizationEvents",
        "crate::types::inventory::OrganizationEvents",
    ),
];

/// Runs progenitor on the normalised spec and renders the bindings.
pub fn generate_sdk(spec: &Value) -> Result<String, String> {
    let mut typed = spec.clone();
    crate::model_types::apply(&mut typed)?;
    crate::model_docs::apply(&mut typed)?;
    let openapi: openapiv3::OpenAPI = serde_json::from_value(typed)
        .map_err(|e| format!("normalised spec is not OpenAPI 3.0: {e}"))?;
    let mut settings = progenitor::GenerationSettings::default();
    for (schema, rust_type) in REPLACEMENTS {
        if spec
            .pointer(&format!("/components/schemas/{schema}"))
            .is_none()
        {
            return Err(fail(
                "type replacements",
                format!("schema `{schema}` (replaced by {rust_type}) is gone"),
            ));
        }
        settings.with_replacement(
            schema,
            rust_type,
            [progenitor::TypeImpl::Default].into_iter(),
        );
    }
    let states = crate::model_types::states()
        .into_iter()
        .map(|name| (crate::model_types::state_format(name), state_type(name)));
    for (format, rust_type) in [
        (
            crate::model_types::BID_FORMAT.to_string(),
            "crate::Bid".to_string(),
        ),
        (
            crate::model_types::MONEY_FORMAT.to_string(),
            "crate::Decimal".to_string(),
        ),
    ]
    .into_iter()
    .chain(states)
    {
        let schema = schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some(format),
            ..Default::default()
        };
        settings.with_conversion(
            schema,
            &rust_type,
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_map_type("::std::collections::BTreeMap")
        .with_inner_type(
            "crate::transport::Inner"
                .parse()
                .map_err(|e| format!("{e:?}"))?,
        );
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&openapi)
        .map_err(|e| format!("progenitor failed: {e}"))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    crate::defaults::add(&mut file, &crate::model_types::defaulted_types(spec))?;
    let code = lenient_fields(hide_constructors(rename_fields(prettyplease::unparse(
        &file,
    ))?)?)?;
    let code = crate::model_docs::finish_docs(&code)?;
    redact_secret_debug(&code).map(|code| format!("{BANNER}{code}"))
}

/// The raw client's constructors take the pipeline (`crate::transport::Inner`), which is not
/// public API: they are made crate-private, and the raw client is reached via
/// `SpotClient::raw()`.
fn hide_constructors(code: String) -> Result<String, String> {
    const FIX: &str = "raw client constructors";
    let mut code = code;
    for from in [
        "    pub fn new(baseurl: &str, inner: crate::transport::Inner) -> Self {",
        "    pub fn new_with_client(\n        baseurl: &str,\n        client: reqwest::Client,\n        inner: crate::transport::Inner,",
    ] {
        if code.matches(from).count() != 1 {
            return Err(fail(FIX, format!("expected one `{}`", from.trim())));
        }
        code = code.replacen(from, &from.replacen("pub fn", "pub(crate) fn", 1), 1);
    }
    Ok(code)
}

/// The typed fields' decoders: servers send `""` for an unset price, numbers for prices or
/// strings for counts (API-NOTES 22, 24), which must not fail a whole list. Each optional field of
/// these types decodes through the SDK's lenient function for it (`crate::types::lenient`).
const LENIENT: &[(&str, &str)] = &[
    ("crate::Decimal", "crate::types::lenient::money"),
    ("crate::Bid", "crate::types::lenient::bid"),
    ("u32", "crate::types::lenient::count"),
];

/// The decoder of every status enum (`""` is absent; unknown values are kept).
const LENIENT_STATE: &str = "crate::types::lenient::state";

/// The Rust path of the status enum `name`.
fn state_type(name: &str) -> String {
    format!("crate::types::{name}")
}

/// The decoder of a typed field's Rust type, if it has one.
fn lenient_decoder(ty: &str) -> Option<&'static str> {
    LENIENT
        .iter()
        .find(|(t, _)| *t == ty)
        .map(|(_, f)| *f)
        .or_else(|| {
            crate::model_types::states()
                .into_iter()
                .any(|name| state_type(name) == ty)
                .then_some(LENIENT_STATE)
        })
}

fn lenient_fields(code: String) -> Result<String, String> {
    let mut lines: Vec<String> = code.lines().map(str::to_string).collect();
    let mut count = 0;
    for i in 0..lines.len() {
        let Some((_, ty)) = lines[i]
            .trim_start()
            .strip_prefix("pub ")
            .and_then(|l| l.split_once(": ::std::option::Option<"))
        else {
            continue;
        };
        let Some(f) = ty.strip_suffix(">,").and_then(lenient_decoder) else {
            continue;
        };
        // The field's serde attribute ends on the line above; find where it starts.
        let Some(start) = (i.saturating_sub(6)..i)
            .rev()
            .find(|&j| lines[j].trim_start().starts_with("#[serde("))
        else {
            continue;
        };
        if let Some(j) = (start..i).find(|&j| lines[j].contains("default")) {
            lines[j] = lines[j].replacen(
                "default",
                &format!("default, deserialize_with = \"{f}\""),
                1,
            );
            count += 1;
        }
    }
    if count == 0 {
        return Err(fail("lenient fields", "no typed optional field found"));
    }
    Ok(lines.join("\n") + "\n")
}

/// Field names typify derives badly from all-caps wire names (`managedVCPUs` → `managed_vcp_us`),
/// and the names they get. Whole identifiers only; serde keeps the wire name through `rename`.
const FIELD_RENAMES: &[(&str, &str)] = &[
    ("managed_vcp_us", "managed_vcpus"),
    ("target_vcp_us", "target_vcpus"),
];

fn rename_fields(mut code: String) -> Result<String, String> {
    for (from, to) in FIELD_RENAMES {
        let mut out = String::with_capacity(code.len());
        let mut rest = code.as_str();
        let mut count = 0;
        while let Some(i) = rest.find(from) {
            let before = rest[..i].chars().next_back();
            let after = rest[i + from.len()..].chars().next();
            let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            out.push_str(&rest[..i]);
            if ident(before) || ident(after) {
                out.push_str(from);
            } else {
                out.push_str(to);
                count += 1;
            }
            rest = &rest[i + from.len()..];
        }
        out.push_str(rest);
        if count == 0 {
            return Err(fail(
                "field renames",
                format!("no field `{from}` in the generated code"),
            ));
        }
        code = out;
    }
    Ok(code)
}

/// Types that carry a refresh token: their derived `Debug` would print it.
const SECRET_TYPES: &[(&str, &str)] = &[
    (
        "pub struct GenerateKubeconfigBody {",
        "types::GenerateKubeconfigBody",
    ),
    ("pub struct GetOauthTokenBody {", "types::GetOauthTokenBody"),
];
const SECRET_BUILDERS: &[&str] = &["GenerateKubeconfig", "GetOauthToken"];

/// Replaces the derived `Debug` of every type holding a refresh token with one that prints no
/// field values (the type, its typify builder, and the operation builder).
fn redact_secret_debug(code: &str) -> Result<String, String> {
    const FIX: &str = "secret Debug";
    let mut out = code.to_string();
    let mut impls =
        String::from("\n// Types that carry a refresh token never print their fields.\n");
    let mut redact = |out: &mut String,
                      decl: &str,
                      derive_from: &str,
                      derive_to: &str,
                      path: &str|
     -> Result<(), String> {
        let needle = format!("{derive_from}\n{decl}");
        let count = out.matches(&needle).count();
        if count != 1 {
            return Err(fail(
                FIX,
                format!(
                    "expected one `{}` deriving Debug, found {count}",
                    decl.trim()
                ),
            ));
        }
        *out = out.replacen(&needle, &format!("{derive_to}\n{decl}"), 1);
        let name = path
            .rsplit("::")
            .next()
            .unwrap_or(path)
            .trim_end_matches("<'_>");
        impls.push_str(&format!(
            "impl ::std::fmt::Debug for {path} {{\n    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\n        f.debug_struct(\"{name}\").finish_non_exhaustive()\n    }}\n}}\n"
        ));
        Ok(())
    };
    for (decl, path) in SECRET_TYPES {
        redact(
            &mut out,
            &format!("    {decl}"),
            "    #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]",
            "    #[derive(::serde::Deserialize, ::serde::Serialize, Clone)]",
            path,
        )?;
        let builder_path = path.replace("types::", "types::builder::");
        redact(
            &mut out,
            &format!("        {decl}"),
            "        #[derive(Clone, Debug)]",
            "        #[derive(Clone)]",
            &builder_path,
        )?;
    }
    for op in SECRET_BUILDERS {
        redact(
            &mut out,
            &format!("    pub struct {op}<'a> {{"),
            "    #[derive(Debug, Clone)]",
            "    #[derive(Clone)]",
            &format!("builder::{op}<'_>"),
        )?;
    }
    out.push_str(&impls);
    Ok(out)
}

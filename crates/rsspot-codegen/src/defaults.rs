//! `Default` for the model types that keep unknown keys: the generator gives them none, and a
//! derived one would lose the schema's defaults (`CloudSpace::default().kind` would be empty).
//! Each gets an `impl Default` whose fields take their serde default function where the
//! generator wrote one (`#[serde(default = "defaults::cloud_space_kind")]`) and
//! `Default::default()` otherwise.

use syn::{Fields, Item, ItemStruct, LitStr};

use crate::spec::fail;

const FIX: &str = "model defaults";

/// The serde default function of a field, if it names one.
fn default_fn(field: &syn::Field) -> Result<Option<String>, String> {
    let mut found = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let value = if meta.input.peek(syn::Token![=]) {
                Some(meta.value()?.parse::<LitStr>()?.value())
            } else {
                None
            };
            if meta.path.is_ident("default") {
                found = value;
            }
            Ok(())
        })
        .map_err(|e| fail(FIX, format!("a serde attribute does not parse: {e}")))?;
    }
    Ok(found)
}

/// The `impl Default` of one struct.
fn impl_default(s: &ItemStruct) -> Result<Item, String> {
    let Fields::Named(fields) = &s.fields else {
        return Err(fail(FIX, format!("{} has no named fields", s.ident)));
    };
    let mut body = String::new();
    for f in &fields.named {
        let Some(name) = &f.ident else { continue };
        let value = match default_fn(f)? {
            Some(path) => format!("{path}()"),
            None => "::std::default::Default::default()".into(),
        };
        body.push_str(&format!("{name}: {value},"));
    }
    let ident = &s.ident;
    syn::parse_str(&format!(
        "impl ::std::default::Default for {ident} {{ fn default() -> Self {{ Self {{ {body} }} }} }}"
    ))
    .map_err(|e| fail(FIX, format!("the Default of {ident} does not parse: {e}")))
}

/// Adds an `impl Default` to each of `types` in the generated `mod types`.
pub fn add(file: &mut syn::File, types: &[String]) -> Result<(), String> {
    let module = file
        .items
        .iter_mut()
        .find_map(|i| match i {
            Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or_else(|| fail(FIX, "no `mod types` in the generated code"))?;
    let mut impls = Vec::new();
    for name in types {
        let s = module
            .1
            .iter()
            .find_map(|i| match i {
                Item::Struct(s) if s.ident == name => Some(s),
                _ => None,
            })
            .ok_or_else(|| fail(FIX, format!("no struct {name} in the generated code")))?;
        impls.push(impl_default(s)?);
    }
    module.1.extend(impls);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_take_their_serde_default_function() {
        let mut file: syn::File = syn::parse_str(
            r#"pub mod types {
                pub struct Kind {
                    #[serde(rename = "kind", default = "defaults::kind_kind")]
                    pub kind: String,
                    #[serde(default, skip_serializing_if = "Option::is_none")]
                    pub status: Option<u32>,
                    #[serde(flatten)]
                    pub extra: Map,
                }
            }"#,
        )
        .unwrap();
        super::add(&mut file, &["Kind".to_string()]).unwrap();
        let code = prettyplease::unparse(&file);
        assert!(code.contains("kind: defaults::kind_kind(),"), "{code}");
        assert!(
            code.contains("status: ::std::default::Default::default(),"),
            "{code}"
        );
        assert!(super::add(&mut file, &["Gone".to_string()]).is_err());
    }
}

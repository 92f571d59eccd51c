//! The `settings!` macro: from one list of setting declarations (in `settings.rs`) it derives
//! every place a setting appears — the file's [`super::Profile`] (parsing, checks, JSON schema,
//! `Debug`), [`super::ProfilePatch`], [`super::Overrides`] and their figment layer, the
//! effective [`super::Settings`], the built-in defaults, the environment layers, the
//! [`super::SETTINGS`] table and `ENV_VARS`; [`builder_setters!`] derives the client builder's
//! setters from the same list.
//!
//! One entry:
//! ```text
//! /// Doc (becomes the field docs, the schema description and SETTINGS' doc).
//! key [as settings_field]: Kind [= default], [aliases["a"],] env["VAR", …]
//!     [, env_file["VAR_FILE"]] [, env_late["OTHER_TOOL_VAR"]] [, builder(setter_name)];
//! ```

/// `Option<Value>` for a setting without a default, `Value` for one with a default.
macro_rules! setting_ty {
    ($kind:ty) => { Option<<$kind as $crate::config::kinds::SettingKind>::Value> };
    ($kind:ty, $default:expr) => { <$kind as $crate::config::kinds::SettingKind>::Value };
}
pub(crate) use setting_ty;

/// An effective value into a `Settings` field of the shape [`setting_ty!`] gives.
macro_rules! setting_wrap {
    ($v:expr) => {
        Some($v)
    };
    ($v:expr, $default:expr) => {
        $v
    };
}
pub(crate) use setting_wrap;

/// The built-in value of a `Settings` field.
macro_rules! setting_builtin {
    ($kind:ty) => {
        None
    };
    ($kind:ty, $default:expr) => {
        <$kind as $crate::config::kinds::SettingKind>::resolve(&serde_json::Value::from($default))
            .unwrap_or_default()
    };
}
pub(crate) use setting_builtin;

/// A client builder setter, for a setting declared with `builder(name)`. Expanded in
/// `client/builder.rs` (by [`builder_setters!`]), where `SpotClientBuilder` is named.
macro_rules! setting_setter {
    ([] $($rest:tt)*) => {};
    ([$setter:ident] [$($doc:literal)+] $field:ident [$kind:ty]) => {
        impl SpotClientBuilder {
            $(#[doc = $doc])+
            ///
            /// A value set here wins over any configuration given to the builder.
            pub fn $setter(
                mut self,
                value: impl Into<<$kind as $crate::config::SettingKind>::Input>,
            ) -> Self {
                self.overrides.$field =
                    Some(<$kind as $crate::config::SettingKind>::from_input(value.into()));
                self
            }
        }
    };
}
pub(crate) use setting_setter;

macro_rules! settings {
    // Normalise each entry to `{ [docs] key field Kind [default] [aliases] [env] [file] [late] [setter] }`.
    (@munch $mode:ident [$($done:tt)*]
        $(#[doc = $doc:literal])+
        $key:ident as $field:ident : $kind:ty $(= $default:expr)?
        $(, aliases [$($alias:literal),* $(,)?])?
        , env [$($var:literal),* $(,)?]
        $(, env_file [$($fvar:literal),* $(,)?])?
        $(, env_late [$($lvar:literal),* $(,)?])?
        $(, builder($setter:ident))?
        ; $($rest:tt)*
    ) => {
        $crate::config::derive::settings!(@munch $mode [$($done)* {
            [$($doc)+] $key $field [$kind] [$($default)?] [$($($alias)*)?] [$($var)*]
            [$([$($fvar)*])?] [$([$($lvar)*])?] [$($setter)?]
        }] $($rest)*);
    };
    (@munch $mode:ident [$($done:tt)*] $(#[doc = $doc:literal])+ $key:ident : $($rest:tt)*) => {
        $crate::config::derive::settings!(@munch $mode [$($done)*] $(#[doc = $doc])+ $key as $key : $($rest)*);
    };
    (@munch $mode:ident [$($done:tt)*]) => { $crate::config::derive::settings!(@ $mode $($done)*); };
    (@emit $({
        [$($doc:literal)+] $key:ident $field:ident [$kind:ty] [$($default:expr)?] [$($alias:literal)*]
        [$($var:literal)*] [$([$($fvar:literal)*])?] [$([$($lvar:literal)*])?] [$($setter:ident)?]
    })*) => {
        /// One account profile. Every field is optional: unset fields inherit the top-level
        /// settings or the built-in defaults, and are not written back.
        #[derive(Clone, Default, PartialEq, serde::Serialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub struct Profile {
            $(
                $(#[doc = $doc])+
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $key: Option<<$kind as SettingKind>::File>,
            )*
            /// Overrides of the top-level `retry`, field by field.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub retry: Option<RetryPatch>,
            /// Overrides of the top-level `cache`, field by field.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub cache: Option<CachePatch>,
            /// Where rsspot imported this profile from (e.g. `~/.spot_config`), for the record;
            /// it takes no part in resolution.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub imported_from: Option<String>,
            /// Unknown keys, kept as they were and written back.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        /// The keys a profile accepts, with their input aliases.
        pub(crate) const PROFILE_SPEC: &[Spec] = &[
            $((stringify!($key), &[$($alias),*]),)*
            ("retry", &[]),
            ("cache", &[]),
            ("imported_from", &[]),
        ];

        impl Profile {
            pub(crate) fn from_json(value: Value, origin: Origin<'_>, prefix: &str) -> Result<Self> {
                let mut f = Fields::split(origin, prefix, value, PROFILE_SPEC, true)?;
                let retry = match f.take_value("retry") {
                    Some(v) => Some(RetryPatch::from_json(v, origin, &format!("{prefix}retry."))?),
                    None => None,
                };
                let cache = match f.take_value("cache") {
                    Some(v) => Some(CachePatch::from_json(v, origin, &format!("{prefix}cache."))?),
                    None => None,
                };
                let profile = Profile {
                    $($key: f.take_kind::<$kind>(stringify!($key))?,)*
                    retry,
                    cache,
                    imported_from: f.take("imported_from")?,
                    extra: std::mem::take(&mut f.extra),
                };
                f.check(profile.check(prefix))?;
                Ok(profile)
            }

            /// Range checks of every set field; `prefix` (`profiles.p.`) names them.
            pub(crate) fn check(&self, prefix: &str) -> std::result::Result<(), String> {
                $(
                    if let Some(v) = &self.$key {
                        let json = serde_json::to_value(v).unwrap_or(Value::Null);
                        <$kind as SettingKind>::check(&format!("{prefix}{}", stringify!($key)), &json)?;
                    }
                )*
                Ok(())
            }

            /// Sets every field `patch` sets; `retry` and `cache` merge field by field.
            pub(crate) fn apply_patch(&mut self, patch: ProfilePatch) {
                $(
                    if patch.$key.is_some() {
                        self.$key = patch.$key;
                    }
                )*
                if let Some(r) = patch.retry {
                    self.retry.get_or_insert_with(RetryPatch::default).merge(&r);
                }
                if let Some(c) = patch.cache {
                    self.cache.get_or_insert_with(CachePatch::default).merge(&c);
                }
            }
        }

        impl fmt::Debug for Profile {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Profile")
                    $(.field(stringify!($key), &self.$key))*
                    .field("retry", &self.retry)
                    .field("cache", &self.cache)
                    .field("imported_from", &self.imported_from)
                    .field("extra", &redacted_extras(&self.extra))
                    .finish()
            }
        }

        /// Field-by-field changes to a profile (`rsspot configure` flags). `None` leaves a
        /// field alone; secrets are stored for real.
        #[derive(Debug, Clone, Default)]
        pub struct ProfilePatch {
            $(
                $(#[doc = $doc])+
                pub $key: Option<<$kind as SettingKind>::File>,
            )*
            /// Retry fields to set (merged into the profile's `retry`).
            pub retry: Option<RetryPatch>,
            /// Cache fields to set (merged into the profile's `cache`).
            pub cache: Option<CachePatch>,
        }

        /// Highest-precedence values from CLI flags or the SDK builder. `None` leaves a field
        /// to the lower layers. (The profile and config file are chosen through
        /// [`LoadOptions`](super::LoadOptions).)
        #[derive(Debug, Clone, Default)]
        pub struct Overrides {
            $(
                $(#[doc = $doc])+
                pub $field: Option<<$kind as SettingKind>::Value>,
            )*
            /// Retry fields to force (a full [`RetryConfig`] converts with `.into()`).
            pub retry: Option<RetryPatch>,
            /// Cache fields to force (`--no-cache` sets `enabled: Some(false)`).
            pub cache: Option<CachePatch>,
            /// `--state-path`.
            pub state_path: Option<PathBuf>,
            /// `--no-token-cache` (false).
            pub token_cache: Option<bool>,
            /// `--no-history` sets `enabled: Some(false)`.
            pub history: Option<HistoryPatch>,
        }

        impl Overrides {
            /// The overrides as a document in the file's shape (the `override` layer).
            pub(crate) fn layer(&self) -> Map<String, Value> {
                let mut m = Map::new();
                $(
                    if let Some(v) = &self.$field {
                        m.insert(stringify!($key).into(), <$kind as SettingKind>::to_json(v));
                    }
                )*
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        m.insert(k.to_string(), v);
                    }
                };
                put("retry", self.retry.as_ref().and_then(|r| serde_json::to_value(r).ok()));
                put("cache", self.cache.as_ref().and_then(|c| serde_json::to_value(c).ok()));
                put("token_cache", self.token_cache.map(Value::Bool));
                put("history", self.history.as_ref().and_then(|h| serde_json::to_value(h).ok()));
                m
            }

            /// Writes every value set here over `s` (the client builder's explicit values).
            pub(crate) fn apply(&self, s: &mut Settings) {
                $(
                    if let Some(v) = &self.$field {
                        s.$field = $crate::config::derive::setting_wrap!(v.clone() $(, $default)?);
                    }
                )*
                if let Some(r) = &self.retry {
                    s.retry.apply(r);
                }
                if let Some(c) = &self.cache {
                    s.cache.apply(c);
                }
                if let Some(h) = &self.history {
                    s.history.apply(h);
                }
                if let Some(t) = self.token_cache {
                    s.token_cache = t;
                }
                if let Some(p) = &self.state_path {
                    s.state_path = p.clone();
                }
            }
        }

        /// Effective settings for one client, after every source was applied.
        #[derive(Debug, Clone)]
        pub struct Settings {
            /// The selected profile name.
            pub profile: String,
            /// Where the refresh token came from (decides whether a rotated one can be stored).
            pub refresh_token_origin: RefreshTokenOrigin,
            $(
                $(#[doc = $doc])+
                pub $field: $crate::config::derive::setting_ty!($kind $(, $default)?),
            )*
            /// Retry policy.
            pub retry: RetryConfig,
            /// Response cache settings.
            pub cache: CacheConfig,
            /// Path of `state.db`.
            pub state_path: PathBuf,
            /// Cache access tokens in `state.db` between runs.
            pub token_cache: bool,
            /// CLI history settings.
            pub history: HistoryConfig,
            /// The config file that was read, if any.
            pub config_path: Option<PathBuf>,
        }

        impl Settings {
            /// The built-in defaults alone: no file, no environment (profile `default`, `state.db`
            /// at its XDG place under the OS's home directory).
            pub fn builtin() -> Settings {
                Settings {
                    profile: "default".into(),
                    refresh_token_origin: RefreshTokenOrigin::None,
                    $($field: $crate::config::derive::setting_builtin!($kind $(, $default)?),)*
                    retry: RetryConfig::default(),
                    cache: CacheConfig::default(),
                    state_path: super::default_state_path(&Env::default(), None),
                    token_cache: true,
                    history: HistoryConfig::default(),
                    config_path: None,
                }
            }

            /// Sets every declared setting found in the merged document, checked.
            pub(crate) fn assign(&mut self, merged: &Map<String, Value>) -> std::result::Result<(), String> {
                $(
                    if let Some(v) = merged.get(stringify!($key)).filter(|v| !v.is_null()) {
                        let key = stringify!($key);
                        <$kind as SettingKind>::check(key, v)?;
                        let value = <$kind as SettingKind>::resolve(v).ok_or_else(|| {
                            format!("{key}: expected {}", <$kind as SettingKind>::WHAT)
                        })?;
                        self.$field = $crate::config::derive::setting_wrap!(value $(, $default)?);
                    }
                )*
                Ok(())
            }
        }

        /// Every declared setting, in declaration order.
        pub const SETTINGS: &[SettingDef] = &[
            $(SettingDef {
                key: stringify!($key),
                doc: concat!($($doc, "\n"),+),
                aliases: &[$($alias),*],
                env: &[$($var),*],
                env_file: &[$($($fvar),*)?],
                env_late: &[$($($lvar),*)?],
                what: <$kind as SettingKind>::WHAT,
                secret: <$kind as SettingKind>::SECRET,
                default: {
                    fn default() -> Option<Value> {
                        None $(.or(Some(Value::from($default))))?
                    }
                    default
                },
                parse: <$kind as SettingKind>::parse_text,
                check: <$kind as SettingKind>::check,
            },)*
        ];

        /// Every variable read by [`super::load`], by setting (for `rsspot help environment`).
        pub const ENV_VARS: &[(&str, &[&str])] = &[
            ("config file", CONFIG_PATH_VARS),
            ("profile", PROFILE_VARS),
            $(
                (stringify!($key), &[$($var),*]),
                $((concat!(stringify!($key), " (file)"), &[$($fvar),*]),)?
                $((concat!(stringify!($key), " (other Spot tools)"), &[$($lvar),*]),)?
            )*
            ("retry.max_attempts (legacy max_retries)", MAX_RETRIES_VARS),
            ("retry.base_delay (legacy backoff factor)", BACKOFF_VARS),
            ("state_path", STATE_PATH_VARS),
            ("cache.enabled = false", NO_CACHE_VARS),
            ("history.enabled = false", NO_HISTORY_VARS),
            ("token_cache = false", NO_TOKEN_CACHE_VARS),
        ];
    };
    // The builder's setters, expanded where the builder is declared (see [`builder_setters!`]).
    (@setters $({
        [$($doc:literal)+] $key:ident $field:ident [$kind:ty] [$($default:expr)?] [$($alias:literal)*]
        [$($var:literal)*] [$([$($fvar:literal)*])?] [$([$($lvar:literal)*])?] [$($setter:ident)?]
    })*) => {
        $($crate::config::derive::setting_setter!([$($setter)?] [$($doc)+] $field [$kind]);)*
    };
    ($($input:tt)*) => { $crate::config::derive::settings!(@munch emit [] $($input)*); };
}
pub(crate) use settings;

/// The client builder's setters of the declared settings: `settings.rs` hands its list to this
/// macro from `client/builder.rs` (`declared_settings!(…builder_setters)`), so the builder's
/// methods are made beside the builder and the config module never names the client.
macro_rules! builder_setters {
    ($($input:tt)*) => { $crate::config::derive::settings!(@munch setters [] $($input)*); };
}
pub(crate) use builder_setters;

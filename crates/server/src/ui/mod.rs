//! The sign-in pages: server-rendered HTML forms (no JavaScript needed), from templates
//! embedded in the binary, each text from a message catalogue, branded by the `[ui]`
//! settings. A deployment may override any template by putting a file of the same name in
//! `ui.templates_dir`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::{Environment, Value};
use serde::Serialize;

/// The languages the pages are written in, the first being the default.
pub const LOCALES: [&str; 2] = ["en", "de"];

/// The embedded templates, by name.
const TEMPLATES: [(&str, &str); 25] = [
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("consent.html", include_str!("templates/consent.html")),
    ("logout.html", include_str!("templates/logout.html")),
    ("logged_out.html", include_str!("templates/logged_out.html")),
    ("error.html", include_str!("templates/error.html")),
    ("account.html", include_str!("templates/account.html")),
    ("form_post.html", include_str!("templates/form_post.html")),
    ("admin.html", include_str!("templates/admin.html")),
    (
        "admin_events.html",
        include_str!("templates/admin_events.html"),
    ),
    ("admin_nav.html", include_str!("templates/admin_nav.html")),
    ("admin_user.html", include_str!("templates/admin_user.html")),
    (
        "admin_clients.html",
        include_str!("templates/admin_clients.html"),
    ),
    (
        "admin_client.html",
        include_str!("templates/admin_client.html"),
    ),
    (
        "admin_client_fields.html",
        include_str!("templates/admin_client_fields.html"),
    ),
    ("admin_keys.html", include_str!("templates/admin_keys.html")),
    (
        "admin_webhooks.html",
        include_str!("templates/admin_webhooks.html"),
    ),
    ("reset.html", include_str!("templates/reset.html")),
    (
        "second_factor.html",
        include_str!("templates/second_factor.html"),
    ),
    (
        "second_factor_setup.html",
        include_str!("templates/second_factor_setup.html"),
    ),
    ("totp_setup.html", include_str!("templates/totp_setup.html")),
    ("device.html", include_str!("templates/device.html")),
    (
        "device_confirm.html",
        include_str!("templates/device_confirm.html"),
    ),
    (
        "device_done.html",
        include_str!("templates/device_done.html"),
    ),
    (
        "recovery_codes.html",
        include_str!("templates/recovery_codes.html"),
    ),
];

/// The embedded catalogues, in the order of [`LOCALES`].
const CATALOGUES: [&str; 2] = [
    include_str!("messages/en.json"),
    include_str!("messages/de.json"),
];

/// The style sheet, with `ACCENT` standing for the accent colour.
const CSS: &str = include_str!("tessera.css");

/// How the pages look: the product name they show and their accent colour.
#[derive(Clone, Debug, Serialize)]
pub struct Branding {
    /// The name shown on every page and in titles.
    pub name: String,
    /// The accent colour, `#rrggbb`.
    pub accent: String,
    /// A directory whose `*.html` files replace the embedded templates of the same name.
    #[serde(skip)]
    pub templates_dir: Option<PathBuf>,
    /// A logo (PNG, SVG, JPEG or WebP, at most 256 KiB) shown above every page, served
    /// from `/ui/static/logo` (the pages load nothing from elsewhere).
    #[serde(skip)]
    pub logo_file: Option<PathBuf>,
    /// A style sheet appended to the embedded one (at most 64 KiB).
    #[serde(skip)]
    pub extra_css_file: Option<PathBuf>,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            name: "Tessera".into(),
            accent: "#1f5fbf".into(),
            templates_dir: None,
            logo_file: None,
            extra_css_file: None,
        }
    }
}

/// Why the pages could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// The accent colour is not `#rrggbb`.
    #[error("ui.accent_color must be a colour like #1f5fbf, not {0:?}")]
    Accent(String),
    /// The product name is empty or too long.
    #[error("ui.brand_name must be 1 to 64 characters")]
    Name,
    /// A template (an embedded one, or one from `ui.templates_dir`) does not compile.
    #[error("template {name}: {source}")]
    Template {
        /// The template's file name.
        name: &'static str,
        /// What is wrong with it.
        source: minijinja::Error,
    },
    /// The logo or extra style sheet cannot be read, is too large, or is not an image.
    #[error("{key}: {why}")]
    Asset {
        /// The setting.
        key: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A catalogue does not parse (a build defect).
    #[error("message catalogue {0}: {1}")]
    Catalogue(&'static str, serde_json::Error),
}

/// The templates, catalogues and branding, ready to render pages.
pub struct Ui {
    env: Environment<'static>,
    catalogues: Vec<(&'static str, Arc<BTreeMap<String, String>>)>,
    brand: Branding,
    css: String,
    logo: Option<(&'static str, Vec<u8>)>,
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ui").field("brand", &self.brand).finish()
    }
}

impl Ui {
    /// Compiles every template (overrides first) and parses the catalogues, so that a broken
    /// override is refused at startup rather than on a user's screen.
    ///
    /// # Errors
    /// [`UiError`] naming what is wrong.
    pub fn new(brand: Branding) -> Result<Self, UiError> {
        check_branding(&brand)?;
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, embedded) in TEMPLATES {
            let source = brand
                .templates_dir
                .as_ref()
                .and_then(|dir| std::fs::read_to_string(dir.join(name)).ok())
                .unwrap_or_else(|| embedded.to_owned());
            env.add_template_owned(name, source)
                .map_err(|source| UiError::Template { name, source })?;
        }
        let mut catalogues = Vec::with_capacity(LOCALES.len());
        for (locale, json) in LOCALES.into_iter().zip(CATALOGUES) {
            let parsed = serde_json::from_str(json).map_err(|e| UiError::Catalogue(locale, e))?;
            catalogues.push((locale, Arc::new(parsed)));
        }
        let mut css = CSS.replace("ACCENT", &brand.accent);
        if let Some(path) = &brand.extra_css_file {
            let extra = read_asset(path, 64 * 1024, "ui.extra_css_file")?;
            let extra = String::from_utf8(extra).map_err(|_| UiError::Asset {
                key: "ui.extra_css_file",
                why: "not UTF-8 text".into(),
            })?;
            css.push('\n');
            css.push_str(&extra);
        }
        let logo = match &brand.logo_file {
            Some(path) => Some((
                image_type(path)?,
                read_asset(path, 256 * 1024, "ui.logo_file")?,
            )),
            None => None,
        };
        env.add_global("has_logo", logo.is_some());
        Ok(Self {
            env,
            catalogues,
            brand,
            css,
            logo,
        })
    }

    /// The style sheet served at `/ui/static/tessera.css`.
    pub fn css(&self) -> &str {
        &self.css
    }

    /// The logo's media type and bytes, if one is configured.
    pub fn logo(&self) -> Option<(&'static str, &[u8])> {
        self.logo
            .as_ref()
            .map(|(kind, bytes)| (*kind, bytes.as_slice()))
    }

    /// The branding.
    pub fn brand(&self) -> &Branding {
        &self.brand
    }

    /// The text of `key` in `locale` (the key itself if a catalogue lacks it).
    pub fn text(&self, locale: &str, key: &str) -> String {
        let catalogue = self.catalogue(locale);
        catalogue
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// Renders template `page` with `values` plus `m` (the catalogue of `locale`) and
    /// `brand`.
    ///
    /// # Errors
    /// A template error (an override that uses a missing value in a way that fails).
    pub fn render<T: Serialize>(
        &self,
        page: &str,
        locale: &str,
        values: &T,
    ) -> Result<String, minijinja::Error> {
        let template = self.env.get_template(page)?;
        let context = minijinja::context! {
            m => Value::from(self.catalogue(locale).as_ref().clone()),
            brand => Value::from_serialize(&self.brand),
            ..Value::from_serialize(values)
        };
        template.render(context)
    }

    fn catalogue(&self, locale: &str) -> &Arc<BTreeMap<String, String>> {
        self.catalogues
            .iter()
            .find(|(l, _)| *l == locale)
            .map_or(&self.catalogues[0].1, |(_, c)| c)
    }
}

/// The language of the pages: the first of `ui_locales` (the request's preference, space
/// separated) we have, else the first of `Accept-Language` we have, else English.
pub fn pick_locale(ui_locales: Option<&str>, accept_language: Option<&str>) -> &'static str {
    let wanted = ui_locales
        .into_iter()
        .flat_map(|l| l.split(' '))
        .chain(
            accept_language
                .into_iter()
                .flat_map(|l| l.split(','))
                .map(|item| item.split(';').next().unwrap_or("").trim()),
        )
        .take(32);
    for tag in wanted {
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        if let Some(found) = LOCALES.iter().find(|l| **l == primary) {
            return found;
        }
    }
    LOCALES[0]
}

/// Reads a branding file of at most `limit` bytes.
fn read_asset(path: &std::path::Path, limit: u64, key: &'static str) -> Result<Vec<u8>, UiError> {
    let fail = |why: String| UiError::Asset { key, why };
    let size = std::fs::metadata(path)
        .map_err(|err| fail(format!("cannot read {}: {err}", path.display())))?
        .len();
    if size > limit {
        return Err(fail(format!(
            "{} is larger than {limit} bytes",
            path.display()
        )));
    }
    std::fs::read(path).map_err(|err| fail(format!("cannot read {}: {err}", path.display())))
}

/// The media type of a logo, from its extension.
fn image_type(path: &std::path::Path) -> Result<&'static str, UiError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("png") => Ok("image/png"),
        Some("svg") => Ok("image/svg+xml"),
        Some("jpg" | "jpeg") => Ok("image/jpeg"),
        Some("webp") => Ok("image/webp"),
        _ => Err(UiError::Asset {
            key: "ui.logo_file",
            why: "use a .png, .svg, .jpg or .webp file".into(),
        }),
    }
}

fn check_branding(brand: &Branding) -> Result<(), UiError> {
    let accent = brand.accent.as_bytes();
    let is_colour =
        accent.len() == 7 && accent[0] == b'#' && accent[1..].iter().all(u8::is_ascii_hexdigit);
    if !is_colour {
        return Err(UiError::Accent(brand.accent.chars().take(32).collect()));
    }
    let name_len = brand.name.chars().count();
    if name_len == 0 || name_len > 64 || brand.name.chars().any(char::is_control) {
        return Err(UiError::Name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_follow_ui_locales_then_accept_language() {
        assert_eq!(pick_locale(Some("fr de-CH"), Some("en")), "de");
        assert_eq!(pick_locale(None, Some("fr;q=1, de-DE;q=0.8")), "de");
        assert_eq!(pick_locale(Some("fr"), Some("es")), "en");
        assert_eq!(pick_locale(None, None), "en");
    }

    #[test]
    fn every_catalogue_has_every_key_of_the_english_one() {
        let ui = Ui::new(Branding::default()).expect("test setup");
        let english = ui.catalogue("en").clone();
        for locale in LOCALES {
            let other = ui.catalogue(locale);
            for key in english.keys() {
                assert!(other.contains_key(key), "{locale} lacks {key}");
            }
        }
    }

    #[test]
    fn bad_branding_is_refused() {
        let bad = |accent: &str| Branding {
            accent: accent.into(),
            ..Branding::default()
        };
        assert!(matches!(Ui::new(bad("red")), Err(UiError::Accent(_))));
        assert!(matches!(Ui::new(bad("#12345g")), Err(UiError::Accent(_))));
        assert!(matches!(
            Ui::new(bad("#000;}body{x")),
            Err(UiError::Accent(_))
        ));
        let unnamed = Branding {
            name: String::new(),
            ..Branding::default()
        };
        assert!(matches!(Ui::new(unnamed), Err(UiError::Name)));
    }

    #[test]
    fn values_are_escaped() {
        let ui = Ui::new(Branding::default()).expect("test setup");
        let page = ui
            .render(
                "error.html",
                "en",
                &serde_json::json!({"title": "<b>x</b>", "message": "\"><script>"}),
            )
            .expect("test setup");
        assert!(page.contains("<h1>&lt;b&gt;x&lt;"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
    }

    #[test]
    fn a_logo_and_extra_css_are_served_from_here() {
        let dir = tempfile::tempdir().expect("test setup");
        let logo = dir.path().join("logo.svg");
        std::fs::write(&logo, "<svg xmlns='http://www.w3.org/2000/svg'/>").expect("test setup");
        let css = dir.path().join("extra.css");
        std::fs::write(&css, "h1 { letter-spacing: 1px; }").expect("test setup");
        let ui = Ui::new(Branding {
            logo_file: Some(logo),
            extra_css_file: Some(css),
            ..Branding::default()
        })
        .expect("test setup");
        assert_eq!(ui.logo().map(|(kind, _)| kind), Some("image/svg+xml"));
        assert!(ui.css().ends_with("h1 { letter-spacing: 1px; }"));
        let page = ui
            .render("error.html", "en", &serde_json::json!({"message": "m"}))
            .expect("test setup");
        assert!(page.contains(r#"<img src="/ui/static/logo""#), "{page}");
        let exe = dir.path().join("logo.exe");
        std::fs::write(&exe, "MZ").expect("test setup");
        let refused = Ui::new(Branding {
            logo_file: Some(exe),
            ..Branding::default()
        });
        assert!(matches!(
            refused,
            Err(UiError::Asset {
                key: "ui.logo_file",
                ..
            })
        ));
    }

    #[test]
    fn an_override_directory_replaces_a_template() {
        let dir = tempfile::tempdir().expect("test setup");
        std::fs::write(dir.path().join("error.html"), "<p>custom {{ message }}</p>")
            .expect("test setup");
        let ui = Ui::new(Branding {
            templates_dir: Some(dir.path().to_owned()),
            ..Branding::default()
        })
        .expect("test setup");
        let page = ui
            .render("error.html", "en", &serde_json::json!({"message": "m"}))
            .expect("test setup");
        assert_eq!(page, "<p>custom m</p>");
        std::fs::write(dir.path().join("login.html"), "{% if %}").expect("test setup");
        let broken = Ui::new(Branding {
            templates_dir: Some(dir.path().to_owned()),
            ..Branding::default()
        });
        assert!(matches!(
            broken,
            Err(UiError::Template {
                name: "login.html",
                ..
            })
        ));
    }
}

//! [`AppBundle`]: the `.app` layout macOS expects, from the package metadata.

use consign_core::{Entry, FileTree, PackageMeta};
use plist::{Dictionary, Value};

use crate::Error;

/// A macOS application bundle: `<Name>.app/Contents/Info.plist` made from the
/// [`PackageMeta`], the program in `Contents/MacOS/`, an icon in `Contents/Resources/` when
/// given, and (by default) an `Applications` link to `/Applications` beside the bundle, so
/// that the opened image invites dragging the app to install it.
///
/// ```
/// use consign_core::{Entry, PackageMeta};
/// use consign_package::dmg::AppBundle;
///
/// let meta = PackageMeta::new("hello", "1.2.3")?.description("Says hello");
/// let program = Entry::bytes(b"\xcf\xfa\xed\xfe".to_vec()).mode(0o755);
/// let tree = AppBundle::new(&meta, "org.example.hello", program)?.display_name("Hello").tree()?;
/// let paths: Vec<_> = tree.iter().map(|(p, _)| p.as_str()).collect();
/// assert!(paths.contains(&"Hello.app/Contents/Info.plist"));
/// assert!(paths.contains(&"Hello.app/Contents/MacOS/hello"));
/// assert!(paths.contains(&"Applications"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct AppBundle<'a> {
    meta: &'a PackageMeta,
    identifier: String,
    executable: Entry,
    display_name: Option<String>,
    icon: Option<Entry>,
    minimum_system_version: String,
    applications_link: bool,
}

impl<'a> AppBundle<'a> {
    /// A bundle of the program `executable`, named after `meta`, with the bundle identifier
    /// `identifier` (reverse DNS: letters, digits, `-` and `.`).
    pub fn new(
        meta: &'a PackageMeta,
        identifier: impl Into<String>,
        executable: Entry,
    ) -> Result<AppBundle<'a>, Error> {
        let identifier = identifier.into();
        let valid = !identifier.is_empty()
            && identifier.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid {
            return Err(Error::Invalid {
                field: "bundle identifier",
                value: identifier,
                reason: "use reverse-DNS form: letters, digits and '-' in dot-separated parts",
            });
        }
        Ok(AppBundle {
            meta,
            identifier,
            executable,
            display_name: None,
            icon: None,
            minimum_system_version: "10.13".to_owned(),
            applications_link: true,
        })
    }

    /// The name shown in the Finder and of the `.app` folder (default: the package name).
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> AppBundle<'a> {
        self.display_name = Some(name.into());
        self
    }

    /// An icon (`.icns`), stored as `Contents/Resources/<name>.icns`.
    #[must_use]
    pub fn icon(mut self, icns: Entry) -> AppBundle<'a> {
        self.icon = Some(icns);
        self
    }

    /// `LSMinimumSystemVersion` (default `10.13`).
    #[must_use]
    pub fn minimum_system_version(mut self, version: impl Into<String>) -> AppBundle<'a> {
        self.minimum_system_version = version.into();
        self
    }

    /// Whether to put the `Applications` link beside the bundle (default: yes).
    #[must_use]
    pub fn applications_link(mut self, yes: bool) -> AppBundle<'a> {
        self.applications_link = yes;
        self
    }

    fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(self.meta.name())
    }

    /// `Contents/Info.plist` as XML.
    pub fn info_plist(&self) -> Result<Vec<u8>, Error> {
        let version = self.meta.version();
        let short = match version.semver() {
            Some(v) => format!("{}.{}.{}", v.major, v.minor, v.patch),
            None => version.as_str().to_owned(),
        };
        let mut dict = Dictionary::new();
        let mut put = |key: &str, value: Value| {
            dict.insert(key.to_owned(), value);
        };
        put("CFBundleDevelopmentRegion", "en".into());
        put("CFBundleDisplayName", self.name().into());
        put("CFBundleExecutable", self.meta.name().into());
        if self.icon.is_some() {
            put(
                "CFBundleIconFile",
                format!("{}.icns", self.meta.name()).into(),
            );
        }
        put("CFBundleIdentifier", self.identifier.as_str().into());
        put("CFBundleInfoDictionaryVersion", "6.0".into());
        put("CFBundleName", self.name().into());
        put("CFBundlePackageType", "APPL".into());
        put("CFBundleShortVersionString", short.into());
        put("CFBundleVersion", version.as_str().into());
        if let Some(copyright) = self.meta.license.as_deref() {
            put(
                "NSHumanReadableCopyright",
                format!("License: {copyright}").into(),
            );
        }
        put(
            "LSMinimumSystemVersion",
            self.minimum_system_version.as_str().into(),
        );
        put("NSHighResolutionCapable", true.into());
        let mut out = Vec::new();
        Value::Dictionary(dict)
            .to_writer_xml(&mut out)
            .map_err(|e| Error::Invalid {
                field: "Info.plist",
                value: e.to_string(),
                reason: "the bundle's values must be valid in an XML property list",
            })?;
        out.push(b'\n');
        Ok(out)
    }

    /// The bundle (and the `Applications` link) as a tree to put in a [`super::Dmg`].
    pub fn tree(&self) -> Result<FileTree, Error> {
        let mut tree = FileTree::new();
        self.insert_into(&mut tree)?;
        Ok(tree)
    }

    /// Adds the bundle (and the `Applications` link) to `tree`, beside what it holds.
    pub fn insert_into(&self, tree: &mut FileTree) -> Result<(), Error> {
        let app = format!("{}.app/Contents", self.name());
        tree.insert(
            format!("{app}/Info.plist"),
            Entry::bytes(self.info_plist()?),
        )?;
        tree.insert(format!("{app}/PkgInfo"), Entry::bytes(b"APPL????".to_vec()))?;
        tree.insert(
            format!("{app}/MacOS/{}", self.meta.name()),
            self.executable.clone(),
        )?;
        if let Some(icon) = &self.icon {
            tree.insert(
                format!("{app}/Resources/{}.icns", self.meta.name()),
                icon.clone(),
            )?;
        }
        if self.applications_link {
            tree.insert("Applications", Entry::symlink("/Applications"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn info_plist_names_the_program_and_version() {
        let meta = PackageMeta::new("hello", "1.2.3-rc.1").unwrap();
        let bundle = AppBundle::new(&meta, "org.example.hello", Entry::bytes(vec![1]))
            .unwrap()
            .icon(Entry::bytes(vec![2]));
        let text = String::from_utf8(bundle.info_plist().unwrap()).unwrap();
        assert!(
            text.contains("<key>CFBundleExecutable</key>\n\t<string>hello</string>"),
            "{text}"
        );
        assert!(text.contains("<string>1.2.3</string>"));
        assert!(text.contains("<string>1.2.3-rc.1</string>"));
        assert!(text.contains("<string>hello.icns</string>"));
        let value = plist::Value::from_reader_xml(text.as_bytes()).unwrap();
        assert_eq!(
            value.as_dictionary().unwrap()["CFBundleIdentifier"].as_string(),
            Some("org.example.hello")
        );
        let tree = bundle.applications_link(false).tree().unwrap();
        assert!(
            tree.get("hello.app/Contents/Resources/hello.icns")
                .is_some()
        );
        assert!(tree.get("Applications").is_none());
    }

    #[test]
    fn bad_identifiers_are_refused() {
        let meta = PackageMeta::new("hello", "1.0.0").unwrap();
        for id in ["", "org..x", "org.ex ample", "org/x"] {
            assert!(
                AppBundle::new(&meta, id, Entry::bytes(vec![1])).is_err(),
                "{id}"
            );
        }
    }
}

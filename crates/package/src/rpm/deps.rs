//! Relations to other packages as rpm stores them: three parallel arrays (names, flags,
//! versions) per kind, sorted by name, version and flags the way rpm's own dependency sets
//! are, exact duplicates merged.

use std::collections::BTreeMap;

use consign_core::{Dependency, VersionOp};

use super::header::{Header, Value};
use super::spec::RelationKind;
use super::{check, tags};
use crate::Error;

/// One dependency entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Rel {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) flags: u32,
}

/// The relations of a package, by kind.
#[derive(Clone, Debug, Default)]
pub(crate) struct Relations {
    kinds: BTreeMap<RelationKind, Vec<Rel>>,
}

/// The flags of a version comparison.
pub(crate) fn op_flags(op: VersionOp) -> u32 {
    match op {
        VersionOp::Less => tags::SENSE_LESS,
        VersionOp::LessEq => tags::SENSE_LESS | tags::SENSE_EQUAL,
        VersionOp::Eq => tags::SENSE_EQUAL,
        VersionOp::GreaterEq => tags::SENSE_GREATER | tags::SENSE_EQUAL,
        VersionOp::Greater => tags::SENSE_GREATER,
        // VersionOp is non-exhaustive: a comparison this writer does not know is refused by
        // the caller (`dependency`), never written as "any version".
        _ => 0,
    }
}

impl Relations {
    /// Adds a user-given relation, checking its name and version.
    pub(crate) fn dependency(&mut self, kind: RelationKind, dep: &Dependency) -> Result<(), Error> {
        check::dependency_name(&dep.name)?;
        let (flags, version) = match &dep.constraint {
            None => (0, String::new()),
            Some((op, v)) => {
                check::evr(v)?;
                if dep.name.starts_with('/') || check::is_rich(&dep.name) {
                    return Err(Error::Invalid {
                        field: "dependency",
                        value: dep.to_string(),
                        reason: "file and rich dependencies cannot carry a version",
                    });
                }
                let flags = op_flags(*op);
                if flags == 0 {
                    return Err(Error::Invalid {
                        field: "dependency",
                        value: dep.to_string(),
                        reason: "unknown version comparison",
                    });
                }
                (flags, v.clone())
            }
        };
        if kind == RelationKind::Obsoletes {
            check::name("obsoleted package", &dep.name)?;
        }
        self.add(kind, &dep.name, flags, &version);
        Ok(())
    }

    /// Adds an entry as is.
    pub(crate) fn add(&mut self, kind: RelationKind, name: &str, flags: u32, version: &str) {
        self.kinds.entry(kind).or_default().push(Rel {
            name: name.to_owned(),
            version: version.to_owned(),
            flags,
        });
    }

    /// Requires `rpmlib(feature) <= version`: the rpm that installs the package must have it.
    pub(crate) fn rpmlib(&mut self, feature: &str, version: &str) {
        let flags = tags::SENSE_RPMLIB | tags::SENSE_LESS | tags::SENSE_EQUAL;
        self.add(
            RelationKind::Requires,
            &format!("rpmlib({feature})"),
            flags,
            version,
        );
    }

    /// Every entry of every kind.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (RelationKind, &Rel)> {
        self.kinds
            .iter()
            .flat_map(|(k, rels)| rels.iter().map(move |r| (*k, r)))
    }

    /// Writes the arrays of every kind present.
    pub(crate) fn put(mut self, h: &mut Header) {
        for (kind, rels) in &mut self.kinds {
            rels.sort();
            rels.dedup();
            let (n, f, v) = kind_tags(*kind);
            h.strings(n, rels.iter().map(|r| r.name.clone()).collect());
            h.put(f, Value::Int32(rels.iter().map(|r| r.flags).collect()));
            h.strings(v, rels.iter().map(|r| r.version.clone()).collect());
        }
    }
}

/// (name, flags, version) tags of a kind.
fn kind_tags(kind: RelationKind) -> (u32, u32, u32) {
    use tags::*;
    match kind {
        RelationKind::Requires => (REQUIRENAME, REQUIREFLAGS, REQUIREVERSION),
        RelationKind::Provides => (PROVIDENAME, PROVIDEFLAGS, PROVIDEVERSION),
        RelationKind::Conflicts => (CONFLICTNAME, CONFLICTFLAGS, CONFLICTVERSION),
        RelationKind::Obsoletes => (OBSOLETENAME, OBSOLETEFLAGS, OBSOLETEVERSION),
        RelationKind::Recommends => (RECOMMENDNAME, RECOMMENDFLAGS, RECOMMENDVERSION),
        RelationKind::Suggests => (SUGGESTNAME, SUGGESTFLAGS, SUGGESTVERSION),
        RelationKind::Supplements => (SUPPLEMENTNAME, SUPPLEMENTFLAGS, SUPPLEMENTVERSION),
        RelationKind::Enhances => (ENHANCENAME, ENHANCEFLAGS, ENHANCEVERSION),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_deduplicated_parallel_arrays() {
        let mut r = Relations::default();
        let dep = |n: &str| Dependency::new(n);
        r.dependency(RelationKind::Requires, &dep("zlib")).unwrap();
        r.dependency(
            RelationKind::Requires,
            &dep("glibc").version(VersionOp::GreaterEq, "2.34"),
        )
        .unwrap();
        r.dependency(RelationKind::Requires, &dep("zlib")).unwrap();
        r.rpmlib("CompressedFileNames", "3.0.4-1");
        r.dependency(
            RelationKind::Conflicts,
            &dep("old").version(VersionOp::Less, "1"),
        )
        .unwrap();
        let mut h = Header::new(tags::HEADER_IMMUTABLE);
        r.put(&mut h);
        let got: BTreeMap<u32, Value> = h.entries().map(|(t, v)| (t, v.clone())).collect();
        let strings = |v: &[&str]| Value::StringArray(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            got[&tags::REQUIRENAME],
            strings(&["glibc", "rpmlib(CompressedFileNames)", "zlib"])
        );
        assert_eq!(
            got[&tags::REQUIREFLAGS],
            Value::Int32(vec![12, (1 << 24) | 10, 0])
        );
        assert_eq!(
            got[&tags::REQUIREVERSION],
            strings(&["2.34", "3.0.4-1", ""])
        );
        assert_eq!(got[&tags::CONFLICTFLAGS], Value::Int32(vec![2]));
        assert!(!got.contains_key(&tags::PROVIDENAME));
    }

    #[test]
    fn refuses_bad_relations() {
        let mut r = Relations::default();
        let versioned_file = Dependency::new("/bin/sh").version(VersionOp::Eq, "1");
        assert!(
            r.dependency(RelationKind::Requires, &versioned_file)
                .is_err()
        );
        let bad_version = Dependency::new("x").version(VersionOp::Eq, "1 2");
        assert!(r.dependency(RelationKind::Requires, &bad_version).is_err());
        assert!(
            r.dependency(RelationKind::Obsoletes, &Dependency::new("/usr/bin/x"))
                .is_err()
        );
        assert!(r.iter().next().is_none());
    }
}

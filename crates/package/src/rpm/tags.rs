//! The numbers of the rpm format: header tags, data types, file and dependency flags.
//!
//! Values from rpm's `include/rpm/rpmtag.h`, `rpmds.h` and `rpmfiles.h`; the tag types are the
//! ones rpm checks main-header entries against when it reads a package.

/// Header entry data types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    String = 6,
    Bin = 7,
    StringArray = 8,
    I18nString = 9,
}

impl Type {
    /// Alignment of the entry's data in the data store.
    pub(crate) fn align(self) -> usize {
        match self {
            Type::Int16 => 2,
            Type::Int32 => 4,
            Type::Int64 => 8,
            _ => 1,
        }
    }
}

// Region tags: the first index entry of the signature and main headers.
pub(crate) const HEADER_SIGNATURES: u32 = 62;
pub(crate) const HEADER_IMMUTABLE: u32 = 63;
pub(crate) const HEADER_I18NTABLE: u32 = 100;

// Signature header.
/// OpenPGP signature of the main header, DSA or EdDSA/ECDSA key (`RPMSIGTAG_DSA`).
pub(crate) const SIG_DSA: u32 = 267;
/// OpenPGP signature of the main header, RSA key (`RPMSIGTAG_RSA`).
pub(crate) const SIG_RSA: u32 = 268;
pub(crate) const SIG_LONGSIZE: u32 = 270;
pub(crate) const SIG_LONGARCHIVESIZE: u32 = 271;
pub(crate) const SIG_SHA256: u32 = 273;
pub(crate) const SIG_SIZE: u32 = 1000;
pub(crate) const SIG_PAYLOADSIZE: u32 = 1007;
pub(crate) const SIG_RESERVEDSPACE: u32 = 1008;

// Main header.
pub(crate) const NAME: u32 = 1000;
pub(crate) const VERSION: u32 = 1001;
pub(crate) const RELEASE: u32 = 1002;
pub(crate) const EPOCH: u32 = 1003;
pub(crate) const SUMMARY: u32 = 1004;
pub(crate) const DESCRIPTION: u32 = 1005;
pub(crate) const BUILDTIME: u32 = 1006;
pub(crate) const BUILDHOST: u32 = 1007;
pub(crate) const SIZE: u32 = 1009;
pub(crate) const VENDOR: u32 = 1011;
pub(crate) const LICENSE: u32 = 1014;
pub(crate) const PACKAGER: u32 = 1015;
pub(crate) const GROUP: u32 = 1016;
pub(crate) const URL: u32 = 1020;
pub(crate) const OS: u32 = 1021;
pub(crate) const ARCH: u32 = 1022;
pub(crate) const FILESIZES: u32 = 1028;
pub(crate) const FILEMODES: u32 = 1030;
pub(crate) const FILERDEVS: u32 = 1033;
pub(crate) const FILEMTIMES: u32 = 1034;
pub(crate) const FILEDIGESTS: u32 = 1035;
pub(crate) const FILELINKTOS: u32 = 1036;
pub(crate) const FILEFLAGS: u32 = 1037;
pub(crate) const FILEUSERNAME: u32 = 1039;
pub(crate) const FILEGROUPNAME: u32 = 1040;
pub(crate) const SOURCERPM: u32 = 1044;
pub(crate) const FILEVERIFYFLAGS: u32 = 1045;
pub(crate) const PROVIDENAME: u32 = 1047;
pub(crate) const REQUIREFLAGS: u32 = 1048;
pub(crate) const REQUIRENAME: u32 = 1049;
pub(crate) const REQUIREVERSION: u32 = 1050;
pub(crate) const CONFLICTFLAGS: u32 = 1053;
pub(crate) const CONFLICTNAME: u32 = 1054;
pub(crate) const CONFLICTVERSION: u32 = 1055;
pub(crate) const RPMVERSION: u32 = 1064;
pub(crate) const CHANGELOGTIME: u32 = 1080;
pub(crate) const CHANGELOGNAME: u32 = 1081;
pub(crate) const CHANGELOGTEXT: u32 = 1082;
pub(crate) const OBSOLETENAME: u32 = 1090;
pub(crate) const FILEDEVICES: u32 = 1095;
pub(crate) const FILEINODES: u32 = 1096;
pub(crate) const FILELANGS: u32 = 1097;
pub(crate) const PROVIDEFLAGS: u32 = 1112;
pub(crate) const PROVIDEVERSION: u32 = 1113;
pub(crate) const OBSOLETEFLAGS: u32 = 1114;
pub(crate) const OBSOLETEVERSION: u32 = 1115;
pub(crate) const DIRINDEXES: u32 = 1116;
pub(crate) const BASENAMES: u32 = 1117;
pub(crate) const DIRNAMES: u32 = 1118;
pub(crate) const PAYLOADFORMAT: u32 = 1124;
pub(crate) const PAYLOADCOMPRESSOR: u32 = 1125;
pub(crate) const PAYLOADFLAGS: u32 = 1126;
pub(crate) const LONGFILESIZES: u32 = 5008;
pub(crate) const LONGSIZE: u32 = 5009;
pub(crate) const FILECAPS: u32 = 5010;
pub(crate) const FILEDIGESTALGO: u32 = 5011;
pub(crate) const RECOMMENDNAME: u32 = 5046;
pub(crate) const RECOMMENDVERSION: u32 = 5047;
pub(crate) const RECOMMENDFLAGS: u32 = 5048;
pub(crate) const SUGGESTNAME: u32 = 5049;
pub(crate) const SUGGESTVERSION: u32 = 5050;
pub(crate) const SUGGESTFLAGS: u32 = 5051;
pub(crate) const SUPPLEMENTNAME: u32 = 5052;
pub(crate) const SUPPLEMENTVERSION: u32 = 5053;
pub(crate) const SUPPLEMENTFLAGS: u32 = 5054;
pub(crate) const ENHANCENAME: u32 = 5055;
pub(crate) const ENHANCEVERSION: u32 = 5056;
pub(crate) const ENHANCEFLAGS: u32 = 5057;
pub(crate) const ENCODING: u32 = 5062;
pub(crate) const PAYLOADDIGEST: u32 = 5092;
pub(crate) const PAYLOADDIGESTALGO: u32 = 5093;
pub(crate) const PAYLOADDIGESTALT: u32 = 5097;

/// Scriptlet tags: (body, interpreter, flags).
pub(crate) const PREIN: (u32, u32, u32) = (1023, 1085, 5020);
pub(crate) const POSTIN: (u32, u32, u32) = (1024, 1086, 5021);
pub(crate) const PREUN: (u32, u32, u32) = (1025, 1087, 5022);
pub(crate) const POSTUN: (u32, u32, u32) = (1026, 1088, 5023);
pub(crate) const PRETRANS: (u32, u32, u32) = (1151, 1153, 5024);
pub(crate) const POSTTRANS: (u32, u32, u32) = (1152, 1154, 5025);
pub(crate) const PREUNTRANS: (u32, u32, u32) = (5103, 5105, 5107);
pub(crate) const POSTUNTRANS: (u32, u32, u32) = (5104, 5106, 5108);
/// Every scriptlet's tags.
#[cfg(test)]
const SCRIPTLET_TAGS: [(u32, u32, u32); 8] = [
    PREIN,
    POSTIN,
    PREUN,
    POSTUN,
    PRETRANS,
    POSTTRANS,
    PREUNTRANS,
    POSTUNTRANS,
];

/// OpenPGP hash algorithm number of SHA-256 (file and payload digest algorithm tags).
pub(crate) const HASH_SHA256: u32 = 8;

// File flags (RPMFILE_*).
pub(crate) const FILE_CONFIG: u32 = 1 << 0;
pub(crate) const FILE_DOC: u32 = 1 << 1;
pub(crate) const FILE_MISSINGOK: u32 = 1 << 3;
pub(crate) const FILE_NOREPLACE: u32 = 1 << 4;

/// Every verification (RPMVERIFY_ALL), what rpmbuild records for a plain file.
pub(crate) const VERIFY_ALL: u32 = u32::MAX;

// Dependency flags (RPMSENSE_*).
pub(crate) const SENSE_LESS: u32 = 1 << 1;
pub(crate) const SENSE_GREATER: u32 = 1 << 2;
pub(crate) const SENSE_EQUAL: u32 = 1 << 3;
pub(crate) const SENSE_POSTTRANS: u32 = 1 << 5;
pub(crate) const SENSE_PRETRANS: u32 = 1 << 7;
pub(crate) const SENSE_INTERP: u32 = 1 << 8;
pub(crate) const SENSE_SCRIPT_PRE: u32 = 1 << 9;
pub(crate) const SENSE_SCRIPT_POST: u32 = 1 << 10;
pub(crate) const SENSE_SCRIPT_PREUN: u32 = 1 << 11;
pub(crate) const SENSE_SCRIPT_POSTUN: u32 = 1 << 12;
pub(crate) const SENSE_PREUNTRANS: u32 = 1 << 20;
pub(crate) const SENSE_POSTUNTRANS: u32 = 1 << 21;
pub(crate) const SENSE_RPMLIB: u32 = 1 << 24;
pub(crate) const SENSE_CONFIG: u32 = 1 << 28;

// File type bits of a mode.
pub(crate) const S_IFREG: u32 = 0o100000;
pub(crate) const S_IFDIR: u32 = 0o040000;
pub(crate) const S_IFLNK: u32 = 0o120000;

/// The type rpm expects for a main-header tag (`None` for tags this writer does not emit).
#[cfg(test)]
pub(crate) fn expected_type(tag: u32) -> Option<Type> {
    use Type::*;
    Some(match tag {
        HEADER_I18NTABLE => StringArray,
        NAME | VERSION | RELEASE | BUILDHOST | VENDOR | LICENSE | PACKAGER | URL | OS | ARCH
        | SOURCERPM | RPMVERSION | PAYLOADFORMAT | PAYLOADCOMPRESSOR | PAYLOADFLAGS | ENCODING => {
            String
        }
        SUMMARY | DESCRIPTION | GROUP => I18nString,
        EPOCH | BUILDTIME | SIZE | FILEDIGESTALGO | PAYLOADDIGESTALGO => Int32,
        LONGSIZE => Int64,
        FILESIZES | FILEMTIMES | FILEFLAGS | FILEVERIFYFLAGS | REQUIREFLAGS | CONFLICTFLAGS
        | CHANGELOGTIME | FILEDEVICES | FILEINODES | PROVIDEFLAGS | OBSOLETEFLAGS | DIRINDEXES
        | RECOMMENDFLAGS | SUGGESTFLAGS | SUPPLEMENTFLAGS | ENHANCEFLAGS => Int32,
        LONGFILESIZES => Int64,
        FILEMODES | FILERDEVS => Int16,
        FILEDIGESTS | FILELINKTOS | FILEUSERNAME | FILEGROUPNAME | PROVIDENAME | REQUIRENAME
        | REQUIREVERSION | CONFLICTNAME | CONFLICTVERSION | CHANGELOGNAME | CHANGELOGTEXT
        | OBSOLETENAME | FILELANGS | PROVIDEVERSION | OBSOLETEVERSION | BASENAMES | DIRNAMES
        | FILECAPS | RECOMMENDNAME | RECOMMENDVERSION | SUGGESTNAME | SUGGESTVERSION
        | SUPPLEMENTNAME | SUPPLEMENTVERSION | ENHANCENAME | ENHANCEVERSION | PAYLOADDIGEST
        | PAYLOADDIGESTALT => StringArray,
        t if SCRIPTLET_TAGS.iter().any(|s| s.0 == t) => String,
        // Interpreters are string arrays; a single interpreter is stored as a plain string,
        // which rpm accepts for any string-class tag.
        t if SCRIPTLET_TAGS.iter().any(|s| s.1 == t) => StringArray,
        t if SCRIPTLET_TAGS.iter().any(|s| s.2 == t) => Int32,
        _ => return None,
    })
}

/// True when rpm accepts data of type `found` for a tag declared as `expected`: the same type,
/// or both of the string class (rpm's `hdrchkTagType`).
#[cfg(test)]
pub(crate) fn type_accepted(expected: Type, found: Type) -> bool {
    let string_class = |t| matches!(t, Type::String | Type::StringArray | Type::I18nString);
    expected == found || (string_class(expected) && string_class(found))
}

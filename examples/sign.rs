//! `sign`: detached OpenPGP signatures with consign's in-process signer.
//!
//! ```text
//! sign --key SECRET.asc [--armor] [--passphrase-env VAR] FILE
//! ```
//!
//! Writes `FILE.sig` (binary) or, with `--armor`, `FILE.asc`, as `gpg --detach-sign` does.
//! The file is streamed through the signer: memory does not grow with its size. The signature
//! is dated `SOURCE_DATE_EPOCH` when set (reproducible signing), otherwise now. Exit status:
//! 0 signed, 1 the key or file could not be used, 2 bad usage.

use std::process::ExitCode;

use consign::core::SourceDate;
use consign::sign::openpgp::{OpenPgpSigner, Passphrase};
use consign::sign::{SignatureFormat, Signer};

const USAGE: &str = "usage: sign --key SECRET.asc [--armor] [--passphrase-env VAR] FILE";

fn main() -> ExitCode {
    let mut key = None;
    let mut armor = false;
    let mut passphrase = Passphrase::none();
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => key = args.next(),
            "--armor" | "-a" => armor = true,
            "--passphrase-env" => match args.next() {
                Some(var) => passphrase = Passphrase::from_env(var),
                None => return usage(),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if file.is_none() && !arg.starts_with('-') => file = Some(arg),
            _ => return usage(),
        }
    }
    let (Some(key), Some(file)) = (key, file) else {
        return usage();
    };
    match sign(&key, &file, armor, &passphrase) {
        Ok(out) => {
            eprintln!("sign: wrote {out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sign: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn sign(
    key: &str,
    file: &str,
    armor: bool,
    passphrase: &Passphrase,
) -> Result<String, Box<dyn std::error::Error>> {
    let date = match SourceDate::from_env()? {
        Some(date) => date,
        None => SourceDate::from_unix(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs(),
        ),
    };
    let signer = OpenPgpSigner::from_file(key, passphrase, date)?;
    let format = if armor {
        SignatureFormat::OpenPgpArmored
    } else {
        SignatureFormat::OpenPgpBinary
    };
    let mut input = std::fs::File::open(file).map_err(|e| format!("cannot open {file}: {e}"))?;
    let signature = signer.sign(&mut input, format)?;
    let out = format!("{file}.{}", format.file_extension());
    consign::core::write_atomic(&out, signature.bytes())?;
    Ok(out)
}

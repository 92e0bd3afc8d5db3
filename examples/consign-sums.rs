//! `consign-sums`: a parallel, `sha256sum`-compatible checksum tool built on consign-core.
//!
//! ```text
//! consign-sums [-a sha256|sha512|blake3] [--tag] [-j N] [FILE...]
//! consign-sums -c [-a ALGORITHM] [-j N] [--quiet] SUMSFILE...
//! ```
//!
//! Without `--check` it prints one line per FILE, in argument order, exactly as `sha256sum`
//! (or `sha256sum --tag`) would; `-` or no FILE reads standard input. Files are hashed on every
//! core ([`consign::core::hash_files`]), each read once. With `--check` it verifies the files a
//! checksum file lists (GNU or BSD lines; names relative to the current directory; absolute
//! names, names climbing out with `..` and symbolic links leading out of the current directory
//! are refused; FIFOs, devices and directories are reported, never opened) and prints
//! `NAME: OK` or `NAME: FAILED ...` per file, one line each: a name holding a newline is
//! escaped as `sha256sum -c` escapes it (a leading `\`, then `\n` and `\\`), so no file name
//! can forge a line. Exit status: 0 all good, 1 a file failed or could not be read, 2 bad usage
//! or a malformed checksum file.
//!
//! This is the program the main job (`examples/release.rs`) ships.

use std::io::{Read, Write};
use std::num::NonZeroUsize;
use std::process::ExitCode;

use consign::core::{
    Algorithm, ChecksumEntry, ChecksumFile, Jobs, Status, Style, hash_files, hash_reader,
};

const USAGE: &str = "\
usage: consign-sums [OPTIONS] [FILE...]
       consign-sums --check [OPTIONS] SUMSFILE...

Print or check checksums, hashing files on every core. With no FILE, or when FILE is -,
read standard input.

  -a, --algorithm ALG   sha256 (default), sha512 or blake3
      --tag             write BSD-style lines: SHA256 (FILE) = HEX
  -j, --jobs N          hash with N threads (default: one per core)
  -c, --check           read checksums from the SUMSFILEs and check them
      --quiet           with --check, print only failures
  -h, --help            print this help
  -V, --version         print the version
";

/// A usage or input error: exit status 2.
struct Usage(String);

struct Options {
    algorithm: Algorithm,
    algorithm_given: bool,
    style: Style,
    jobs: Jobs,
    check: bool,
    quiet: bool,
    operands: Vec<String>,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, Usage> {
    let mut o = Options {
        algorithm: Algorithm::Sha256,
        algorithm_given: false,
        style: Style::Gnu,
        jobs: Jobs::All,
        check: false,
        quiet: false,
        operands: Vec::new(),
    };
    let mut it = args.into_iter();
    let value = |it: &mut dyn Iterator<Item = String>, flag: &str| {
        it.next()
            .ok_or_else(|| Usage(format!("{flag} needs a value")))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("consign-sums {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "-a" | "--algorithm" => {
                let v = value(&mut it, &arg)?;
                o.algorithm = v.parse().map_err(|_| {
                    Usage(format!(
                        "unknown algorithm {v:?} (expected sha256, sha512 or blake3)"
                    ))
                })?;
                o.algorithm_given = true;
            }
            "-j" | "--jobs" => {
                let v = value(&mut it, &arg)?;
                let n: NonZeroUsize = v
                    .parse()
                    .map_err(|_| Usage(format!("--jobs wants a positive number, not {v:?}")))?;
                o.jobs = Jobs::Exactly(n);
            }
            "--tag" => o.style = Style::Bsd,
            "-c" | "--check" => o.check = true,
            "--quiet" => o.quiet = true,
            "--" => {
                o.operands.extend(it.by_ref());
            }
            flag if flag.starts_with('-') && flag != "-" => {
                return Err(Usage(format!("unknown option {flag} (see --help)")));
            }
            _ => o.operands.push(arg),
        }
    }
    if o.operands.is_empty() {
        o.operands.push("-".into());
    }
    Ok(Some(o))
}

/// Hashes the operands and prints a line for each, in argument order.
fn print_sums(o: &Options) -> Result<bool, Usage> {
    let files: Vec<&str> = o
        .operands
        .iter()
        .map(String::as_str)
        .filter(|f| *f != "-")
        .collect();
    let mut hashed = hash_files(&files, &[o.algorithm], o.jobs).into_iter();
    let mut ok = true;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for name in &o.operands {
        let result = if name == "-" {
            hash_reader(std::io::stdin().lock(), &[o.algorithm]).map_err(|e| e.to_string())
        } else {
            match hashed.next() {
                Some(r) => r.map_err(|e| e.source.to_string()),
                None => Err("internal error: missing result".into()),
            }
        };
        let digest = result.and_then(|w| {
            w.digest(o.algorithm)
                .copied()
                .ok_or_else(|| "no digest computed".to_string())
        });
        match digest {
            Ok(digest) => {
                let line = ChecksumEntry::new(name.as_str(), digest).to_line(o.style);
                out.write_all(line.as_bytes())
                    .map_err(|e| Usage(format!("standard output: {e}")))?;
            }
            Err(e) => {
                ok = false;
                eprintln!("consign-sums: {name}: {e}");
            }
        }
    }
    Ok(ok)
}

/// The algorithm of a checksum file: the tag of its first BSD line, else the one asked for.
fn detect_algorithm(text: &str, o: &Options) -> Algorithm {
    if o.algorithm_given {
        return o.algorithm;
    }
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let first = first.strip_prefix('\\').unwrap_or(first);
    first
        .split_once(" (")
        .and_then(|(tag, _)| Algorithm::from_bsd_tag(tag))
        .or_else(|| {
            // An untagged line of 128 hex digits can only be SHA-512.
            let hex = first.split(' ').next().unwrap_or("");
            (hex.len() == Algorithm::Sha512.output_len() * 2).then_some(Algorithm::Sha512)
        })
        .unwrap_or(o.algorithm)
}

/// Verifies every SUMSFILE; prints a line per file and a summary of failures.
fn check(o: &Options) -> Result<bool, Usage> {
    let mut all_ok = true;
    for sums in &o.operands {
        let mut text = String::new();
        let read = if sums == "-" {
            std::io::stdin().lock().read_to_string(&mut text)
        } else {
            std::fs::File::open(sums).and_then(|mut f| f.read_to_string(&mut text))
        };
        read.map_err(|e| Usage(format!("{sums}: {e}")))?;
        let algorithm = detect_algorithm(&text, o);
        let file =
            ChecksumFile::parse(&text, algorithm).map_err(|e| Usage(format!("{sums}: {e}")))?;
        if file.is_empty() {
            return Err(Usage(format!(
                "{sums}: no properly formatted checksum lines found"
            )));
        }
        let report = file.verify_dir(".", o.jobs);
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        // One line per file (a name with a newline is escaped), so `--quiet` drops exactly
        // the files that passed.
        for result in report
            .results
            .iter()
            .filter(|r| !o.quiet || r.status != Status::Ok)
        {
            writeln!(out, "{result}").map_err(|e| Usage(format!("standard output: {e}")))?;
        }
        let failed = report.failures().count();
        if failed > 0 {
            all_ok = false;
            eprintln!(
                "consign-sums: WARNING: {failed} of {} listed files did NOT match ({sums})",
                report.results.len()
            );
        }
    }
    Ok(all_ok)
}

fn main() -> ExitCode {
    let outcome = parse_args(std::env::args().skip(1)).and_then(|o| match o {
        None => Ok(true),
        Some(o) if o.check => check(&o),
        Some(o) => print_sums(&o),
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Usage(message)) => {
            eprintln!("consign-sums: {message}");
            ExitCode::from(2)
        }
    }
}

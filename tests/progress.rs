//! Progress and cancellation through `consign_core::Monitor`: every writer reports the bytes
//! of file data it reads, once per task, and stops when the interrupt flag is set, returning
//! a typed error and leaving nothing in the output directory.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use consign::core::{Algorithm, Interrupted, Jobs, hash_files_monitored};
use consign::core::{Entry, FileTree, Monitor, PackageMeta, Progress, SourceDate};
use consign::oci::registry::{BlobSource, ClientOptions, RegistryError};
use consign::oci::{Error as OciError, LayerBuilder, LayerOptions, OciLayout, Repository};
use consign::package::deb::{Deb, DebOptions};
use consign::package::rpm::{Rpm, RpmOptions};
use consign::package::{
    Archive, ArchiveFormat, ArchiveOptions, ArtifactWriter, Error as PackageError,
};

/// Records what it is told; sets `stop` once `stop_after` bytes were reported.
struct Recorder {
    tasks: Mutex<Vec<(String, Option<u64>)>>,
    ends: AtomicU64,
    bytes: AtomicU64,
    stop_after: u64,
    stop: Arc<AtomicBool>,
}

impl Recorder {
    fn new(stop_after: u64) -> Arc<Recorder> {
        Arc::new(Recorder {
            tasks: Mutex::new(Vec::new()),
            ends: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            stop_after,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    fn monitor(self: &Arc<Recorder>) -> Monitor {
        Monitor::new()
            .progress(self.clone())
            .interrupt(self.stop.clone())
    }
}

impl Progress for Recorder {
    fn begin(&self, task: &str, total: Option<u64>) {
        self.tasks.lock().unwrap().push((task.to_owned(), total));
    }
    fn advance(&self, bytes: u64) {
        let done = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if done >= self.stop_after {
            self.stop.store(true, Ordering::Relaxed);
        }
    }
    fn end(&self) {
        self.ends.fetch_add(1, Ordering::Relaxed);
    }
}

const MIB: usize = 1 << 20;

/// Three files of 2 MiB of varied bytes.
fn tree() -> FileTree {
    let mut tree = FileTree::new();
    for i in 0..3u8 {
        let data: Vec<u8> = (0..2 * MIB)
            .map(|n| (n as u8).wrapping_mul(i + 1))
            .collect();
        tree.insert(format!("usr/share/demo/file{i}"), Entry::bytes(data))
            .unwrap();
    }
    tree
}

fn meta() -> PackageMeta {
    PackageMeta::new("demo", "1.0.0")
        .unwrap()
        .description("Demo\nA demo package.")
        .maintainer("Jane Doe <jane@example.org>")
        .license("MIT")
}

/// The names in `dir`, hidden temporary files included.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const DATE: u64 = 1_700_000_000;

#[test]
fn archive_reports_every_byte_once_and_stops_when_interrupted() {
    let tree = tree();
    let dir = tempfile::tempdir().unwrap();
    let date = SourceDate::from_unix(DATE);

    let full = Recorder::new(u64::MAX);
    let archive = Archive::new(ArchiveFormat::TarGz, &tree, date)
        .top_level_dir("demo-1.0.0")
        .unwrap()
        .options(ArchiveOptions::default().monitor(full.monitor()));
    let (artifact, _) = archive.write_into(dir.path()).unwrap();
    assert_eq!(artifact.name, "demo-1.0.0.tar.gz");
    assert_eq!(full.bytes.load(Ordering::Relaxed), tree.total_size());
    assert_eq!(
        *full.tasks.lock().unwrap(),
        [("demo-1.0.0.tar.gz".to_owned(), Some(tree.total_size()))]
    );
    assert_eq!(full.ends.load(Ordering::Relaxed), 1);

    for format in [ArchiveFormat::TarZst, ArchiveFormat::Zip] {
        let out = tempfile::tempdir().unwrap();
        let stopping = Recorder::new(MIB as u64);
        let archive = Archive::new(format, &tree, date)
            .top_level_dir("demo-1.0.0")
            .unwrap()
            .options(ArchiveOptions::default().monitor(stopping.monitor()));
        let err = archive.write_into(out.path()).unwrap_err();
        assert!(
            matches!(err, PackageError::Interrupted(_)),
            "{format:?}: {err}"
        );
        assert!(listing(out.path()).is_empty(), "{:?}", listing(out.path()));
        // It stopped within a buffer or two of the flag, not at the end.
        assert!(stopping.bytes.load(Ordering::Relaxed) < tree.total_size());
        assert_eq!(stopping.ends.load(Ordering::Relaxed), 1);
    }
}

#[test]
fn packages_stop_when_interrupted_and_leave_nothing() {
    let tree = tree();
    let meta = meta();
    let date = SourceDate::from_unix(DATE);
    let platform = "x86_64-unknown-linux-gnu".parse().unwrap();

    let out = tempfile::tempdir().unwrap();
    let stopping = Recorder::new(MIB as u64);
    let deb = Deb::new(&tree, &meta, platform, date)
        .options(DebOptions::default().monitor(stopping.monitor()));
    let err = deb.write_into(out.path()).unwrap_err();
    assert!(matches!(err, PackageError::Interrupted(_)), "{err}");

    let stopping = Recorder::new(MIB as u64);
    let rpm = Rpm::new(&tree, &meta, platform, date)
        .options(RpmOptions::default().monitor(stopping.monitor()));
    let err = rpm.write_into(out.path()).unwrap_err();
    assert!(matches!(err, PackageError::Interrupted(_)), "{err}");
    assert!(listing(out.path()).is_empty(), "{:?}", listing(out.path()));

    // A flag set before the start stops before anything is read.
    let early = Recorder::new(0);
    early.stop.store(true, Ordering::Relaxed);
    let deb = Deb::new(&tree, &meta, platform, date)
        .options(DebOptions::default().monitor(early.monitor()));
    assert!(matches!(
        deb.write_to(Vec::new()),
        Err(PackageError::Interrupted(_))
    ));
    assert_eq!(early.bytes.load(Ordering::Relaxed), 0);

    // Unstopped, the packages report the tree's bytes and name their files.
    let full = Recorder::new(u64::MAX);
    let rpm = Rpm::new(&tree, &meta, platform, date)
        .options(RpmOptions::default().monitor(full.monitor()));
    let (artifact, report) = rpm.write_into(out.path()).unwrap();
    assert_eq!(artifact.name, "demo-1.0.0-1.x86_64.rpm");
    assert_eq!(artifact.size, report.written.size);
    assert_eq!(full.bytes.load(Ordering::Relaxed), tree.total_size());
    assert_eq!(
        full.tasks.lock().unwrap()[0],
        (
            "demo-1.0.0-1.x86_64.rpm".to_owned(),
            Some(tree.total_size())
        )
    );
}

#[test]
fn layer_stops_when_interrupted_and_leaves_no_blob() {
    let tree = tree();
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).unwrap();
    let blobs = dir.path().join("blobs/sha256");
    let before = listing(&blobs);

    let stopping = Recorder::new(MIB as u64);
    let err = LayerBuilder::new(&tree, SourceDate::from_unix(DATE))
        .options(LayerOptions::default().monitor(stopping.monitor()))
        .write_into(&layout)
        .unwrap_err();
    assert!(
        matches!(err, OciError::Layer(PackageError::Interrupted(_))),
        "{err}"
    );
    assert_eq!(listing(&blobs), before);
}

#[test]
fn hash_files_reports_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..4)
        .map(|i| {
            let p = dir.path().join(format!("f{i}"));
            std::fs::write(&p, vec![i as u8; MIB]).unwrap();
            p
        })
        .collect();
    let full = Recorder::new(u64::MAX);
    let results = hash_files_monitored(&paths, &[Algorithm::Sha256], Jobs::All, &full.monitor());
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(full.bytes.load(Ordering::Relaxed), 4 * MIB as u64);
    assert_eq!(
        *full.tasks.lock().unwrap(),
        [("hash".to_owned(), Some(4 * MIB as u64))]
    );

    let stopped = Recorder::new(0);
    stopped.stop.store(true, Ordering::Relaxed);
    let results = hash_files_monitored(&paths, &[Algorithm::Sha256], Jobs::All, &stopped.monitor());
    for r in results {
        assert!(Interrupted::is_cause_of(&r.unwrap_err().source));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_uploads_report_bytes_and_stop_when_interrupted() {
    let registry = support::Registry::start();
    let repo = Repository::new("acme/progress").unwrap();
    let blob = support::noise(3 * MIB, 11);

    // Chunked upload (1 MiB chunks): every byte reported once.
    let full = Recorder::new(u64::MAX);
    let options = ClientOptions::default()
        .chunk_size(1 << 20)
        .monitor(full.monitor());
    let client = support::client_for(&registry.host(), options);
    client
        .push_blob(&repo, BlobSource::bytes(blob.clone()))
        .await
        .unwrap();
    assert_eq!(full.bytes.load(Ordering::Relaxed), 3 * MIB as u64);

    // Interrupted after the first chunk: a typed error, not a retry loop.
    let other = support::noise(3 * MIB, 12);
    let stopping = Recorder::new(MIB as u64);
    let options = ClientOptions::default()
        .chunk_size(1 << 20)
        .monitor(stopping.monitor());
    let client = support::client_for(&registry.host(), options);
    let err = client
        .push_blob(&repo, BlobSource::bytes(other))
        .await
        .unwrap_err();
    assert!(
        matches!(err, OciError::Registry(RegistryError::Interrupted(_))),
        "{err}"
    );
    assert!(!err.is_transient());
    assert!(stopping.bytes.load(Ordering::Relaxed) < 3 * MIB as u64);
}

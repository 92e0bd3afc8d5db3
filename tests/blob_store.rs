//! Images read from and written to any blob store: a base image in one registry repository
//! is extended with a layer built in memory and pushed to another repository (its layers
//! mounted) and to another registry (streamed through a temporary file), with no image layout
//! in between; skopeo and umoci read the results.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/proxy.rs"]
mod proxy;
#[path = "registry/support.rs"]
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{require_tool, run_ok};
use consign::core::{Entry, FileTree, SourceDate};
use consign::oci::store::{BlobStore, MemoryStore, RegistryStore, copy};
use consign::oci::{
    Descriptor, Error, History, Image, ImagePlatform, LayerBuilder, MediaType, OciLayout,
    Repository, Tag,
};
use support::{Registry, noise, skopeo_raw};

const DATE: u64 = 1_700_000_000;

fn tag(text: &str) -> Tag {
    Tag::new(text).unwrap()
}

fn amd64() -> ImagePlatform {
    ImagePlatform::new("linux", "amd64")
}

fn store(registry: &Registry, repository: &str) -> RegistryStore {
    RegistryStore::new(registry.client(), Repository::new(repository).unwrap())
}

/// A two-layer base image (a file of noise large enough for a chunked upload, and a config
/// file), built in a layout and pushed to `target` as `1.0` through the store API.
async fn push_base(dir: &Path, target: &RegistryStore) -> Descriptor {
    let date = SourceDate::from_unix(DATE);
    let layout = OciLayout::create(dir.join("base")).unwrap();
    let mut data = FileTree::new();
    data.insert("usr/share/base/data.bin", Entry::bytes(noise(3 << 20, 7)))
        .unwrap();
    let mut conf = FileTree::new();
    conf.insert("etc/base.conf", Entry::bytes(b"base = true\n".to_vec()))
        .unwrap();
    let mut image = Image::new(&amd64());
    for (tree, what) in [(&data, "data"), (&conf, "conf")] {
        let layer = LayerBuilder::new(tree, date).write_into(&layout).unwrap();
        image = image.append_layer(layer, History::new(what).created(date));
    }
    let image = image.with_config(|c| c.env("BASE", "1")).created(date);
    image.write(target, Some(&tag("1.0"))).await.unwrap()
}

/// The app: the base read from `base`, plus a layer built into a memory store.
async fn app_on(base: Arc<dyn BlobStore>) -> Image {
    let date = SourceDate::from_unix(DATE);
    let image = Image::read_for(base, "1.0", &amd64()).await.unwrap();
    let mut tree = FileTree::new();
    tree.insert(
        "usr/bin/app",
        Entry::bytes(b"#!/bin/sh\necho app\n".to_vec()).mode(0o755),
    )
    .unwrap();
    let memory: Arc<dyn BlobStore> = Arc::new(MemoryStore::new());
    let layer = LayerBuilder::new(&tree, date)
        .write_into_store(memory)
        .await
        .unwrap();
    image
        .append_layer(layer, History::new("app").created(date))
        .with_config(|c| c.entrypoint(["/usr/bin/app"]))
        .created(date)
}

/// Copies `reference` out of the registry with skopeo and unpacks it with umoci; returns the
/// root file system's directory.
fn unpack(dir: &Path, reference: &str, name: &str) -> std::path::PathBuf {
    require_tool("skopeo", "skopeo");
    require_tool("umoci", "umoci");
    let layout = dir.join(format!("{name}-layout"));
    run_ok(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{reference}"),
        &format!("oci:{}:{name}", layout.display()),
    ]));
    let bundle = dir.join(format!("{name}-bundle"));
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:{name}", layout.display()))
            .arg(&bundle),
    );
    bundle.join("rootfs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_on_a_registry_base_is_pushed_to_repositories_and_registries_without_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let one = Registry::start();
    let two = Registry::start();
    let base_store = store(&one, "acme/base");
    let base = push_base(dir.path(), &base_store).await;
    let base_raw = skopeo_raw(&format!("{}/acme/base:1.0", one.host()));
    assert_eq!(
        Descriptor::of(base.media_type.clone(), &base_raw).digest,
        base.digest
    );

    let app = app_on(Arc::new(base_store)).await;
    assert_eq!(app.layers().len(), 3);

    // Another repository of the same registry: the base layers are mounted, not sent.
    let same = store(&one, "acme/app");
    let pushed = app.write(&same, Some(&tag("2.0"))).await.unwrap();
    let stats = same.client().stats();
    assert_eq!(stats.blobs_mounted, 2, "{stats:?}");
    assert_eq!(
        stats.blobs_uploaded, 2,
        "the app layer and the config: {stats:?}"
    );
    assert!(stats.blob_bytes_sent < 1 << 20, "{stats:?}");

    // Another registry: the base layers stream through a temporary file.
    let other = store(&two, "mirror/app");
    let copied = app.write(&other, Some(&tag("2.0"))).await.unwrap();
    assert_eq!(copied, pushed, "the same image, byte for byte");
    let stats = other.client().stats();
    assert_eq!(
        (stats.blobs_mounted, stats.blobs_uploaded),
        (0, 4),
        "{stats:?}"
    );

    for (registry, repository) in [(&one, "acme/app"), (&two, "mirror/app")] {
        let reference = format!("{}/{repository}:2.0", registry.host());
        let raw = skopeo_raw(&reference);
        assert_eq!(
            Descriptor::of(pushed.media_type.clone(), &raw).digest,
            pushed.digest
        );
        let name = repository.replace('/', "-");
        let rootfs = unpack(dir.path(), &reference, &name);
        assert_eq!(
            fs::read(rootfs.join("usr/share/base/data.bin")).unwrap(),
            noise(3 << 20, 7)
        );
        assert_eq!(
            fs::read_to_string(rootfs.join("etc/base.conf")).unwrap(),
            "base = true\n"
        );
        assert_eq!(
            fs::read_to_string(rootfs.join("usr/bin/app")).unwrap(),
            "#!/bin/sh\necho app\n"
        );
    }

    // A second push sends nothing: every blob is there.
    let again = store(&two, "mirror/app");
    app.write(&again, Some(&tag("2.0"))).await.unwrap();
    let stats = again.client().stats();
    assert_eq!(
        (stats.blobs_uploaded, stats.blob_bytes_sent),
        (0, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_images_copy_into_a_layout_and_memory_and_misses_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::start();
    let remote = store(&registry, "acme/base");
    let base = push_base(dir.path(), &remote).await;
    let remote: Arc<dyn BlobStore> = Arc::new(remote);

    // Registry → layout: blobs are downloaded, digest checked, into the layout.
    let image = Image::read(remote.clone(), "1.0").await.unwrap();
    let layout = OciLayout::create(dir.path().join("copy")).unwrap();
    let written = image.write(&layout, Some(&tag("1.0"))).await.unwrap();
    assert_eq!(written, base);
    for layer in image.layers() {
        let path = layout.blob_path(&layer.descriptor().digest);
        assert_eq!(fs::metadata(&path).unwrap().len(), layer.descriptor().size);
    }
    // The layout is whole: read back from disk alone, and checked by umoci.
    let local = Image::from_layout(&layout, "1.0").unwrap();
    assert_eq!(local.digest(), base.digest);
    require_tool("umoci", "umoci");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:1.0", layout.path().display()))
            .arg(dir.path().join("bundle")),
    );

    // Registry → memory, and memory → a layout by digest.
    let memory = MemoryStore::new();
    image.write(&memory, None).await.unwrap();
    assert!(memory.get(&base.digest).is_some());
    let memory: Arc<dyn BlobStore> = Arc::new(memory);
    let from_memory = Image::read(memory.clone(), &base.digest.to_string())
        .await
        .unwrap();
    assert_eq!(from_memory.digest(), base.digest);

    // An index over the image, copied whole from memory into the registry and back into a
    // new layout: the bytes and digests are kept.
    let index = consign::oci::Index::new().push(image.descriptor());
    let index_bytes = index.to_json();
    memory
        .put_manifest(&index_bytes, &MediaType::ImageIndex, Some(&tag("multi")))
        .await
        .unwrap();
    let pushed = copy(
        memory.as_ref(),
        remote.as_ref(),
        "multi",
        Some(&tag("multi")),
    )
    .await
    .unwrap();
    assert_eq!(
        pushed.digest,
        Descriptor::of(MediaType::ImageIndex, &index_bytes).digest
    );
    let raw = skopeo_raw(&format!("{}/acme/base:multi", registry.host()));
    assert_eq!(raw, index_bytes);
    let again = OciLayout::create(dir.path().join("again")).unwrap();
    copy(remote.as_ref(), &again, "multi", Some(&tag("multi")))
        .await
        .unwrap();
    let from_index = Image::from_layout_for(&again, "multi", &amd64()).unwrap();
    assert_eq!(from_index.digest(), base.digest);

    // Misses are typed and name what and where.
    let err = Image::read(remote.clone(), "no-such-tag")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.status(), Some(404), "{err}");
    let err = Image::read(memory.clone(), "no-such-tag")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotInStore { what, .. } if what.contains("no-such-tag")),
        "{err}"
    );
    let arm = ImagePlatform::new("linux", "arm64");
    let err = Image::read_for(remote, "1.0", &arm).await.unwrap_err();
    assert!(
        err.is_not_found() && err.to_string().contains("linux/arm64"),
        "{err}"
    );

    // A layer whose bytes are nowhere cannot be written, and nothing is tagged.
    let orphan = Image::from_bytes(&local.manifest_bytes(), &local.config_bytes()).unwrap();
    let empty = OciLayout::create(dir.path().join("empty")).unwrap();
    let err = orphan.write(&empty, Some(&tag("1.0"))).await.unwrap_err();
    assert!(matches!(err, Error::LayerNotLocal { .. }), "{err}");
    assert!(empty.resolve("1.0").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_that_exists_only_in_a_registry_is_signed_there() {
    use consign::core::{KeyId, Signature, SignatureFormat, VerificationMaterial};
    use consign::oci::attach::{Attachment, Attachments, Kind};
    use consign::oci::ops::{pull_attachments, pull_referrer_attachments};
    use consign::sign::cosign::{CosignKey, CosignSigner, CosignVerifier, SimpleSigning};

    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::start();
    let remote = store(&registry, "acme/app");
    let image = push_base(dir.path(), &remote).await;
    // The index is assembled in the registry, from the pushed digest: no layout anywhere.
    let entry = image.clone().platform(amd64());
    let index = consign::oci::Index::new().push(entry).to_json();
    let index = remote
        .put_manifest(&index, &MediaType::ImageIndex, Some(&tag("1.0-multi")))
        .await
        .unwrap();

    let key = CosignKey::generate().unwrap();
    let verifier = CosignVerifier::new(key.public_key().clone());
    let signer = CosignSigner::new(key, "release");
    let reference = format!("{}/acme/app", registry.host());
    let (payload, signature) = SimpleSigning::new(reference.clone(), index.digest)
        .sign(&signer)
        .unwrap();
    let signatures = Attachments::new(Kind::Signatures)
        .push(Attachment::simple_signing(payload, &signature).unwrap());
    let (tagged, referrer) = signatures.write_to_store(&remote, &index).await.unwrap();
    // Signing again merges under the tag instead of replacing.
    let (again, _) = Attachments::new(Kind::Signatures)
        .write_to_store(&remote, &index)
        .await
        .unwrap();
    assert_eq!(again, tagged);

    // cosign's tag scheme, as skopeo reads it, and the referrers, as the client lists them.
    let raw = skopeo_raw(&format!(
        "{reference}:{}",
        Kind::Signatures.tag(&index.digest)
    ));
    assert_eq!(
        Descriptor::of(MediaType::ImageManifest, &raw).digest,
        tagged.digest
    );
    let client = registry.client();
    let target: consign::oci::Reference = format!("{reference}:1.0-multi").parse().unwrap();
    let listed = client
        .referrers(target.repository(), &index.digest, None)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|d| d.digest).collect::<Vec<_>>(),
        [referrer.digest]
    );
    for pulled in [
        pull_attachments(&client, &target, &index.digest, Kind::Signatures).await,
        pull_referrer_attachments(&client, &target, &index.digest, Kind::Signatures).await,
        Attachments::read_from_store(&remote, &index.digest, Kind::Signatures).await,
    ] {
        let pulled = pulled.unwrap();
        assert_eq!(pulled.items().len(), 1);
        let item = &pulled.items()[0];
        let signature = Signature::new(
            SignatureFormat::CosignBlob,
            item.signature().unwrap().as_bytes().to_vec(),
            VerificationMaterial::PublicKey {
                hint: KeyId::new(""),
            },
        );
        let signed = SimpleSigning::verify(item.content(), &signature, &verifier).unwrap();
        assert_eq!(signed.require_digest(&index.digest).unwrap(), &index.digest);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_base_is_read_from_the_network_once() {
    use consign::oci::store::CachingStore;
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::start();
    push_base(dir.path(), &store(&registry, "acme/base")).await;
    // The builds read the base through a proxy that counts what they ask.
    let proxy = proxy::Proxy::start(registry.addr, Vec::new()).await;
    let through_proxy = RegistryStore::new(
        support::client_for(
            &proxy.host(),
            consign::oci::registry::ClientOptions::default(),
        ),
        Repository::new("acme/base").unwrap(),
    );
    let cache = OciLayout::create(dir.path().join("cache")).unwrap();
    let base: Arc<dyn BlobStore> = Arc::new(CachingStore::new(through_proxy, cache.clone()));
    let blob_reads = || {
        proxy
            .requests()
            .iter()
            .filter(|r| r.starts_with("GET") && r.contains("/blobs/sha256:"))
            .count()
    };
    let mut digests = Vec::new();
    for build in 0..2 {
        let app = app_on(base.clone()).await;
        let out = MemoryStore::new();
        digests.push(app.write(&out, None).await.unwrap().digest);
        for layer in &app.layers()[..2] {
            assert!(cache.contains(&layer.descriptor().digest), "build {build}");
        }
        // The config and the two base layers: read once, by the first build.
        assert_eq!(blob_reads(), 3, "build {build}: {:#?}", proxy.requests());
    }
    assert_eq!(digests[0], digests[1]);
}

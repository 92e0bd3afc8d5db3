// Verifies a Sigstore bundle offline with @sigstore/verify: an empty trusted root (no Fulcio,
// Rekor, CT log or TSA) and one trusted public key, named by the SHA-256 (hex) of its DER.
//
//   node sigstore-verify.js BUNDLE.json PUBLIC_KEY.pem [ARTIFACT]
//
// ARTIFACT is needed for message-signature bundles; DSSE bundles carry their payload.
// Prints "verified <hint>" and exits 0 on success; prints the error and exits 1 otherwise.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { PublicKeyDetails, TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, keyPath, artifactPath] = process.argv.slice(2);
if (!bundlePath || !keyPath) {
  console.error('usage: sigstore-verify.js BUNDLE.json PUBLIC_KEY.pem [ARTIFACT]');
  process.exit(2);
}

try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const der = crypto
    .createPublicKey(fs.readFileSync(keyPath, 'utf8'))
    .export({ type: 'spki', format: 'der' });
  const keyId = crypto.createHash('sha256').update(der).digest('hex');
  const root = TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });
  const keys = {
    [keyId]: { rawBytes: der, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256 },
  };
  const verifier = new Verifier(toTrustMaterial(root, keys), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  const artifact = artifactPath ? fs.readFileSync(artifactPath) : undefined;
  verifier.verify(toSignedEntity(bundle, artifact));
  console.log(`verified ${keyId}`);
} catch (e) {
  console.error(`${e.name}: ${e.code || ''} ${e.message}`);
  process.exit(1);
}

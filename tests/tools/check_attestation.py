#!/usr/bin/env python3
"""Checks DSSE envelopes holding in-toto statements with independent libraries.

securesystemslib verifies each envelope's signature with the given public key, trusted under
the SHA-256 (hex) of its DER; in-toto-attestation parses the payload as a Statement v1
(protobuf JSON mapping, unknown fields refused) and validates it, and parses an SLSA
provenance v1 predicate into its protobuf the same strict way.

usage: check_attestation.py PUBLIC_KEY.pem FILE...
FILE is one envelope (.json) or an .intoto.jsonl file. Prints "ok <predicateType> <subjects>"
per envelope; on the first failure prints the reason and exits 1.
"""
import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

IN_TOTO = "application/vnd.in-toto+json"
SLSA_V1 = "https://slsa.dev/provenance/v1"


def check(key, text):
    envelope = Envelope.from_dict(json.loads(text))
    envelope.verify([key], 1)
    if envelope.payload_type != IN_TOTO:
        raise ValueError(f"payload type {envelope.payload_type!r}")
    statement = json_format.Parse(envelope.payload, statement_pb2.Statement())
    Statement.copy_from_pb(statement).validate()
    if statement.predicate_type == SLSA_V1:
        predicate = json.loads(envelope.payload)["predicate"]
        provenance = json_format.ParseDict(predicate, provenance_pb2.Provenance())
        if not provenance.build_definition.build_type:
            raise ValueError("provenance without buildType")
        if not provenance.run_details.builder.id:
            raise ValueError("provenance without runDetails.builder.id")
    names = " ".join(s.name for s in statement.subject)
    return f"ok {statement.predicate_type} {names}"


def main():
    key_path, files = sys.argv[1], sys.argv[2:]
    with open(key_path, "rb") as f:
        public = load_pem_public_key(f.read())
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    key = SSlibKey.from_crypto(public, keyid=hashlib.sha256(der).hexdigest())
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.splitlines() if path.endswith(".jsonl") else [text]
        for line in filter(str.strip, lines):
            try:
                print(check(key, line))
            except Exception as e:  # report any failure as a rejection
                print(f"{path}: {type(e).__name__}: {e}", file=sys.stderr)
                sys.exit(1)


if __name__ == "__main__":
    main()

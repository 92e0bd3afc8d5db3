"""Validates SBOM documents for tests/sbom.rs with the reference Python libraries.

    validate_sbom.py cdx 1.5|1.6 FILE [cdx ... | spdx-schema ...]...
        CycloneDX, against the official (strict) JSON schema
    validate_sbom.py spdx-schema SCHEMA FILE [...]
        SPDX, against the SPDX 2.3 JSON schema

Checks go in groups of three arguments, any number in one run (loading the schemas is what
takes time). Prints each problem, prefixed with its file, and exits 1 when there is any.
"""
import functools
import json
import sys


@functools.cache
def cyclonedx_validator(version: str):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator({"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[version])


def cyclonedx(version: str, path: str) -> list:
    with open(path, encoding="utf-8") as f:
        error = cyclonedx_validator(version).validate_str(f.read())
    if error is None:
        return []
    # The error's data is jsonschema's ValidationError: its message, not the whole schema.
    data = getattr(error, "data", None)
    where = list(getattr(data, "absolute_path", []))
    return [f"{where}: {getattr(data, 'message', error)}"]


@functools.cache
def spdx_validator(schema_path: str):
    import jsonschema

    with open(schema_path, encoding="utf-8") as f:
        return jsonschema.Draft7Validator(json.load(f))


def spdx_schema(schema_path: str, path: str) -> list:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return [f"{list(e.absolute_path)}: {e.message}" for e in spdx_validator(schema_path).iter_errors(doc)]


def main() -> int:
    args = sys.argv[1:]
    if not args or len(args) % 3:
        print(__doc__)
        return 2
    failed = False
    for i in range(0, len(args), 3):
        kind, param, path = args[i : i + 3]
        for p in {"cdx": cyclonedx, "spdx-schema": spdx_schema}[kind](param, path):
            print(f"{path}: {p}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

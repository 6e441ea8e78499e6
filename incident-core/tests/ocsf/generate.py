#!/usr/bin/env python3
"""Regenerates the JSON Schema of the OCSF 1.8.0 Incident Finding class (class_uid 2005)
that the OCSF export of incident-core is validated against.

The schema comes from the PyPI package ocsf-json-schema, which embeds the official OCSF
schemas and works offline:

    python3 -m venv /tmp/ocsfvenv
    /tmp/ocsfvenv/bin/pip install ocsf-json-schema==1.2.0
    /tmp/ocsfvenv/bin/python incident-core/tests/ocsf/generate.py          # rewrite
    /tmp/ocsfvenv/bin/python incident-core/tests/ocsf/generate.py --check  # compare only

The tests read the committed file; they never need Python.
"""

import json
import sys
from importlib.metadata import version as package_version
from pathlib import Path

from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

OCSF_VERSION = "1.8.0"
CLASS_UID = 2005
# The class implicitly includes the `incident` profile; the export names it in
# metadata.profiles. It adds no attribute of its own in 1.8.0.
PROFILES = ["incident"]
OUT = Path(__file__).with_name(f"incident_finding-{OCSF_VERSION}.schema.json")


def generate() -> str:
    ocsf = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=OCSF_VERSION))
    class_name = ocsf.lookup_class_name_from_uid(class_uid=CLASS_UID)
    assert class_name == "incident_finding", class_name
    schema = ocsf.get_class_schema(class_name=class_name, profiles=PROFILES)
    # Sorted keys and a trailing newline keep regenerations diff-free.
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    text = generate()
    generator = f"ocsf-json-schema {package_version('ocsf-json-schema')}"
    if "--check" in sys.argv[1:]:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} differs from what {generator} generates", file=sys.stderr)
            return 1
        print(f"{OUT.name} is what {generator} generates")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text)} bytes) with {generator}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

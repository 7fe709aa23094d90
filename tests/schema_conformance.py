#!/usr/bin/env python3
"""Every shipped blueprint, read by PyYAML (a YAML 1.1 parser, as most tools are), must be
valid against `socform schema` (jsonschema). usage: schema_conformance.py SCHEMA.json FILE..."""
import json
import sys

import jsonschema
import yaml

schema = json.load(open(sys.argv[1]))
failed = 0
for path in sys.argv[2:]:
    doc = yaml.safe_load(open(path))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    for e in errors:
        print(f"{path}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message}")
    failed += bool(errors)
sys.exit(1 if failed else 0)

#!/usr/bin/env python3
"""An ATT&CK Navigator layer, checked against the layer format 4.5 (jsonschema, with the schema
written from the format's definition) and what a schema cannot say: the gradient's maxValue is
above its minValue, and every technique appears once. Prints each layer's technique ids and
scores as JSON, for the caller to compare. usage: navigator_layer.py SCHEMA.json LAYER.json..."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
failed = 0
summary = {}
for path in sys.argv[2:]:
    layer = json.load(open(path))
    errors = [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
              for e in jsonschema.Draft202012Validator(schema).iter_errors(layer)]
    g = layer.get("gradient")
    if g and not g["maxValue"] > g["minValue"]:
        errors.append(f"gradient: maxValue {g['maxValue']} is not above minValue {g['minValue']}")
    ids = [(t.get("techniqueID"), t.get("tactic")) for t in layer.get("techniques", [])]
    if len(ids) != len(set(ids)):
        errors.append("techniques: a technique appears twice under one tactic")
    for e in errors:
        print(f"{path}: {e}", file=sys.stderr)
    failed += bool(errors)
    summary[path] = {t.get("techniqueID"): t.get("score") for t in layer.get("techniques", [])}
print(json.dumps(summary))
sys.exit(1 if failed else 0)

"""Evaluates Sigma rules over CloudTrail events with pySigma's SQLite backend.

An evaluator socform does not share a line with: pySigma turns each rule into SQL, and
SQLite runs it over the events, flattened into one table the way Zircolite does it (a
column per dotted field path, compared without case as Sigma compares, nested lists as
JSON text). Reads {"rules": {name: yaml}, "events": [event, ...]} on stdin and writes
{name: [indexes of matching events]} or {name: {"error": why}} on stdout.
"""

import json
import re
import sqlite3
import sys

import yaml

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection


def flatten(event, prefix="", out=None):
    out = {} if out is None else out
    for key, value in event.items():
        path = prefix + key
        if isinstance(value, dict):
            flatten(value, path + ".", out)
        elif isinstance(value, list):
            out[path] = json.dumps(value)
        elif isinstance(value, bool):
            # Sigma's 'true' and a JSON true are the same text.
            out[path] = "true" if value else "false"
        else:
            out[path] = value
    return out


def regexp(pattern, value):
    return value is not None and re.search(pattern, str(value)) is not None


def main():
    job = json.load(sys.stdin)
    rows = [flatten(e) for e in job["events"]]
    # SQLite's column names ignore case, as Zircolite's do: `requestID` and `requestId`
    # are one column, under the spelling met first.
    spelling = {}
    for r in rows:
        for c in r:
            spelling.setdefault(c.lower(), c)
    # Every field a rule names is a column, present in no event: NULL, as absent is.
    for text in job["rules"].values():
        for name, search in (yaml.safe_load(text).get("detection") or {}).items():
            for item in search if isinstance(search, list) else [search]:
                if isinstance(item, dict):
                    for key in item:
                        spelling.setdefault(key.split("|")[0].lower(), key.split("|")[0])
    rows = [{spelling[c.lower()]: v for c, v in r.items()} for r in rows]
    columns = sorted(set(spelling.values()))
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, regexp, deterministic=True)
    quoted = ", ".join('"{}" COLLATE NOCASE'.format(c.replace('"', '""')) for c in columns)
    db.execute("CREATE TABLE logs (row_id INTEGER, {})".format(quoted) if columns else "CREATE TABLE logs (row_id INTEGER)")
    for i, r in enumerate(rows):
        names = ["row_id"] + ['"{}"'.format(c.replace('"', '""')) for c in r]
        db.execute(
            "INSERT INTO logs ({}) VALUES ({})".format(", ".join(names), ", ".join("?" * len(names))),
            [i] + list(r.values()),
        )
    backend = sqliteBackend()
    result = {}
    for name, text in sorted(job["rules"].items()):
        try:
            queries = backend.convert(SigmaCollection.from_yaml(text))
            hits = set()
            for q in queries:
                q = q.replace("SELECT *", "SELECT row_id", 1)
                hits.update(r[0] for r in db.execute(q))
            result[name] = sorted(hits)
        except sqlite3.OperationalError as e:
            # A field no event has is a column SQLite does not know: nothing matches it.
            missing = re.match(r"no such column: (.*)", str(e))
            result[name] = {"error": "no such column " + missing.group(1)} if missing else {"error": str(e)}
        except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
            result[name] = {"error": "{}: {}".format(type(e).__name__, e)}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

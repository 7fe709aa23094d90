#!/usr/bin/env python3
"""Reads an SVG socform drew with Python's own XML parser (not socform's) and prints what a
person would see, as JSON: each node group's id and text lines, each edge with its ends, its
stroke colour and label, and each frame's label. Exits 1 if the file is not well-formed XML
or not an SVG document. usage: svg_check.py FILE.svg"""
import json
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
try:
    root = ET.parse(sys.argv[1]).getroot()
except ET.ParseError as e:
    print(f"not well-formed: {e}", file=sys.stderr)
    sys.exit(1)
if root.tag != NS + "svg":
    print(f"root is {root.tag}, not svg", file=sys.stderr)
    sys.exit(1)
out = {"title": root.findtext(NS + "title"), "nodes": {}, "edges": [], "frames": []}
labels = {(t.get("data-from"), t.get("data-to")): t.text or "" for t in root.iter(NS + "text")
          if t.get("class") == "edge-label"}
for g in root.iter(NS + "g"):
    cls = g.get("class", "").split()
    texts = [t.text or "" for t in g.iter(NS + "text")]
    if "node" in cls:
        out["nodes"][g.get("id")] = texts
    elif "edge" in cls:
        line = g.find(NS + "line")
        out["edges"].append({
            "from": g.get("data-from"), "to": g.get("data-to"), "stroke": line.get("stroke"),
            "marker": line.get("marker-end"), "label": labels.get((g.get("data-from"), g.get("data-to")), ""),
            "internet": "internet" in cls,
        })
    elif "frame" in cls:
        out["frames"].append({"class": cls[1], "label": texts})
print(json.dumps(out))

#!/usr/bin/env python3
"""Writes a generated blueprint of about N resources to stdout, for benchmarks.

Usage: scripts/gen-bench-blueprint.py 10000 > /tmp/bench.yaml
Each security group has 20 ingress rules and one egress rule to the next group (every rule
is a node), and the rest are log groups.
"""
import sys

target = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
groups = max(1, target // 40)
out = ["blueprint: bench", "region: us-east-1", "network:", "  vpc: { cidr: 10.0.0.0/16 }", "security_groups:"]
for g in range(groups):
    out += [f"  g{g}:", "    ingress:"]
    out += [f"      - {{ protocol: tcp, ports: {1000 + r}, from: 10.{g % 250}.{r}.0/24 }}" for r in range(20)]
    out.append(f"    egress: [ {{ protocol: tcp, ports: 443, to: sg.g{(g + 1) % groups} }} ]")
rest = max(0, target - 1 - groups * 22)
if rest:
    out.append("log_groups:")
    out += [f"  lg{i}: {{ retention_days: 30 }}" for i in range(rest)]
print("\n".join(out))

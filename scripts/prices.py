#!/usr/bin/env python3
"""Regenerates src/cost/prices-REGION.json from the AWS Price List Query API.

usage: scripts/prices.py [REGION]   (needs AWS credentials allowed pricing:GetProducts)

Every price in the table names its own source under `sources`: the pricing page, the day it
was read, and the Price List product (service code and attributes; `{key}` stands for each
key of a map such as instance_hourly). This script looks each one up, takes the first tier
of a tiered price, multiplies by `per` where the table's unit is larger than AWS's, and
writes the price with today's date. A lookup that does not find exactly one product stops
the script: a source that no longer names a product is never papered over. The machine
socform was written on cannot reach AWS, so the shipped table was entered by hand from the
pages; run this where AWS is reachable and commit the result (src/cost/mod.rs's tests check
that every price carries a source and a date). A new region's table starts as a copy of
us-east-1's, its usage types given the region's prefix (USE2-, EUW1-, ...) where AWS uses one.
"""
import datetime
import json
import sys

import boto3

REGION = sys.argv[1] if len(sys.argv) > 1 else "us-east-1"
OUT = f"src/cost/prices-{REGION}.json"
TODAY = datetime.date.today().isoformat()
pricing = boto3.client("pricing", region_name="us-east-1")
location = boto3.client("ssm", region_name=REGION).get_parameter(
    Name=f"/aws/service/global-infrastructure/regions/{REGION}/longName")["Parameter"]["Value"]


def price(source, key=None):
    """The on-demand USD price (first tier) of the one product a source names."""
    attrs = {k: v.replace("{key}", key or "") for k, v in source["attributes"].items()}
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in attrs.items()]
    filters.append({"Type": "TERM_MATCH", "Field": "location", "Value": location})
    products = pricing.get_products(ServiceCode=source["service"], Filters=filters, MaxResults=10)["PriceList"]
    if len(products) != 1:
        raise SystemExit(f"{source['service']} {attrs}: {len(products)} products, expected 1")
    terms = json.loads(products[0])["terms"]["OnDemand"]
    dims = next(iter(terms.values()))["priceDimensions"].values()
    first = min(dims, key=lambda d: float(d.get("beginRange", "0")))
    return round(float(first["pricePerUnit"]["USD"]) * source.get("per", 1), 6)


table = json.load(open(OUT))
table["region"] = REGION
table["as_of"] = TODAY
for name, source in table["sources"].items():
    if isinstance(table[name], dict):
        table[name] = {key: price(source, key) for key in table[name]}
    else:
        table[name] = price(source)
    source["as_of"] = TODAY
json.dump(table, open(OUT, "w"), indent=2)
open(OUT, "a").write("\n")
print(f"wrote {OUT}")

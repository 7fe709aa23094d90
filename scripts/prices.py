#!/usr/bin/env python3
"""Regenerates src/cost/prices-us-east-1.json from the AWS Price List Query API.

usage: scripts/prices.py [REGION]   (needs AWS credentials allowed pricing:GetProducts)

Every price socform counts is looked up by its product attributes and written with the day
it was read. The machine socform was written on cannot reach AWS, so the shipped table was
entered by hand from the published prices; run this where AWS is reachable and commit the
result (the unit tests in src/cost/mod.rs check the shape and a few known rates).
"""
import datetime
import json
import sys

import boto3

REGION = sys.argv[1] if len(sys.argv) > 1 else "us-east-1"
OUT = f"src/cost/prices-{REGION}.json"
pricing = boto3.client("pricing", region_name="us-east-1")
location = boto3.client("ssm", region_name=REGION).get_parameter(
    Name=f"/aws/service/global-infrastructure/regions/{REGION}/longName")["Parameter"]["Value"]


def price(service, **attrs):
    """The on-demand USD price of the one product these attributes name."""
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in attrs.items()]
    filters.append({"Type": "TERM_MATCH", "Field": "location", "Value": location})
    products = pricing.get_products(ServiceCode=service, Filters=filters, MaxResults=10)["PriceList"]
    if len(products) != 1:
        raise SystemExit(f"{service} {attrs}: {len(products)} products, expected 1")
    terms = json.loads(products[0])["terms"]["OnDemand"]
    dims = next(iter(terms.values()))["priceDimensions"]
    return float(next(iter(dims.values()))["pricePerUnit"]["USD"])


old = json.load(open(OUT))
instance = {
    t: price("AmazonEC2", instanceType=t, operatingSystem="Linux", tenancy="Shared",
             preInstalledSw="NA", capacitystatus="Used", licenseModel="No License required")
    for t in old["instance_hourly"]
}
table = dict(old)
table.update({
    "region": REGION,
    "as_of": datetime.date.today().isoformat(),
    "source": "AWS Price List Query API (pricing:GetProducts), on-demand, Linux, shared tenancy; written by scripts/prices.py",
    "instance_hourly": instance,
    "ebs_gp3_gb_month": price("AmazonEC2", productFamily="Storage", volumeApiName="gp3"),
    "ebs_gp2_gb_month": price("AmazonEC2", productFamily="Storage", volumeApiName="gp2"),
    "public_ipv4_hourly": price("AmazonVPC", group="VPCPublicIPv4Address", groupDescription="Hourly charge for In-use Public IPv4 Addresses"),
    "secret_month": price("AWSSecretsManager", usagetype=f"{'' if REGION == 'us-east-1' else REGION.upper() + '-'}AWSSecretsManager-Secrets"),
})
json.dump(table, open(OUT, "w"), indent=2)
print(f"wrote {OUT}")

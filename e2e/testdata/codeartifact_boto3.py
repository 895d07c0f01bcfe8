"""Drive Wharf's control plane with boto3 and print each response as JSON.

The Go test (TestBoto3) makes the assertions; this script only performs
the calls, so a failure there names the exact field that differs. The
endpoint and credentials come from AWS_ENDPOINT_URL and AWS_* variables.
Usage: codeartifact_boto3.py DOMAIN REPOSITORY
"""
import hashlib
import json
import sys

import boto3
import botocore.exceptions


def clean(resp):
    resp.pop("ResponseMetadata", None)
    return resp


def error(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"].get("Message", ""),
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "resourceType": e.response.get("resourceType"), "resourceId": e.response.get("resourceId"),
                "reason": e.response.get("reason")}
    return None


def main():
    domain, repo = sys.argv[1], sys.argv[2]
    c = boto3.client("codeartifact")
    coord = dict(domain=domain, repository=repo, format="generic", namespace="ns", package="pkg")
    out = {}

    def publish(version, content, unfinished=False):
        kw = dict(coord, packageVersion=version, assetName="data.bin", assetContent=content,
                  assetSHA256=hashlib.sha256(content).hexdigest())
        if unfinished:
            kw["unfinished"] = True
        return clean(c.publish_package_version(**kw))

    out["publish"] = {v: publish(v, ("boto3 " + v).encode()) for v in ["1.0", "2.0", "3.0", "4.0"]}
    out["publish_unfinished"] = publish("5.0", b"unfinished", unfinished=True)

    asset = c.get_package_version_asset(**coord, packageVersion="2.0", asset="data.bin")
    out["get_asset"] = {"assetName": asset["assetName"], "packageVersion": asset["packageVersion"],
                        "packageVersionRevision": asset["packageVersionRevision"],
                        "content": asset["asset"].read().decode()}

    pages = c.get_paginator("list_package_versions").paginate(**coord, PaginationConfig={"PageSize": 2})
    out["list_pages"] = [[v["version"] for v in p["versions"]] for p in pages]

    out["delete_failed"] = clean(c.delete_package_versions(**coord, versions=["1.0", "9.9"]))
    out["delete_mismatched"] = clean(c.delete_package_versions(**coord, versions=["1.0", "2.0"], expectedStatus="Unlisted"))
    out["delete_ok"] = clean(c.delete_package_versions(**coord, versions=["1.0", "5.0"]))
    out["update_mismatched_revision"] = clean(c.update_package_versions_status(
        **coord, versions=["2.0", "3.0"], versionRevisions={"2.0": "c3RhbGU=", "3.0": out["publish"]["3.0"]["versionRevision"]},
        targetStatus="Archived"))
    out["dispose"] = clean(c.dispose_package_versions(**coord, versions=["3.0"]))
    out["update_disposed"] = clean(c.update_package_versions_status(**coord, versions=["3.0"], targetStatus="Published"))
    out["update_unfinished_target"] = error(lambda: c.update_package_versions_status(**coord, versions=["2.0"], targetStatus="Unfinished"))
    out["delete_too_many"] = error(lambda: c.delete_package_versions(**coord, versions=[str(i) for i in range(101)]))
    out["delete_missing_repo"] = error(lambda: c.delete_package_versions(**dict(coord, repository="norepo"), versions=["1.0"]))
    out["publish_bad_sha"] = error(lambda: c.publish_package_version(
        **coord, packageVersion="6.0", assetName="data.bin", assetContent=b"actual", assetSHA256=hashlib.sha256(b"claimed").hexdigest()))
    out["list_after"] = {v["version"]: v["status"] for v in c.list_package_versions(**coord)["versions"]}
    json.dump(out, sys.stdout)


main()

"""Drives a running gridline server through `georeport`, a GeoReport v2 client library published
on PyPI (not written by us), in JSON and XML, files requests with plain form posts as Open311
clients do, and validates every JSON answer against the specification's JSON schemas.

Usage: open311_client.py BASE_URL API_KEY SCHEMA_DIR JURISDICTION
Exit status 77 when a Python package is missing (the Rust runner decides whether that is fatal).
"""

import json
import pathlib
import sys

try:
    import georeport
    import jsonschema
    import referencing
    import requests
    import xmltodict  # noqa: F401  (georeport's XML path needs it)
except ImportError as missing:
    print(f"missing Python package: {missing.name}", file=sys.stderr)
    sys.exit(77)

base, api_key, schema_dir, jurisdiction = sys.argv[1:5]
root = f"{base}/open311/v2"
schemas = {p.name: json.loads(p.read_text()) for p in pathlib.Path(schema_dir).glob("*.json")}
registry = referencing.Registry().with_resources(
    (name, referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT4))
    for name, schema in schemas.items()
)
checks = 0


def valid(document, schema_name):
    global checks
    validator = jsonschema.Draft4Validator(schemas[schema_name], registry=registry, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, f"{schema_name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    checks += 1


def check(condition, message):
    global checks
    assert condition, message
    checks += 1


# Filing: plain form posts, as the specification describes them.
filed = []
for form in [
    {"service_code": "S0102", "lat": "39.99", "long": "116.47", "description": "阜通东大街暴露垃圾"},
    {"service_code": "S0103", "address_string": "朝阳区望京街道阜通东大街6号", "description": "渣土堆积",
     "media_url": "https://example.org/a.jpg", "first_name": "Wei", "last_name": "Zhang", "email": "z@example.org"},
]:
    answer = requests.post(f"{root}/requests.json", data={"api_key": api_key, "jurisdiction_id": jurisdiction, **form})
    check(answer.status_code == 200, f"filing {form}: {answer.status_code} {answer.text}")
    body = answer.json()
    check(isinstance(body, list) and body[0]["service_request_id"], f"filing answer {body}")
    filed.append(body[0]["service_request_id"])
    token = body[0]["token"]
    resolved = requests.get(f"{root}/tokens/{token}.json").json()
    check(resolved[0]["service_request_id"] == body[0]["service_request_id"], f"token {token}: {resolved}")

refused = requests.post(f"{root}/requests.json", data={"service_code": "S0102", "lat": "1", "long": "1"})
check(refused.status_code == 403, f"no api_key: {refused.status_code}")
check(refused.json()[0]["code"] == 403, f"error list {refused.text}")
refused = requests.post(f"{root}/requests.xml", data={"api_key": api_key, "service_code": "S0102"})
check(refused.status_code == 400 and "<errors><error><code>400</code>" in refused.text, f"no location: {refused.text}")

for output_format in ["json", "xml"]:
    client = georeport.GeoReport(root, jurisdiction=jurisdiction, api_key=api_key, output_format=output_format)

    services = client.get_service_list()
    if output_format == "json":
        valid(services, "services.json")
    else:
        services = services if isinstance(services, list) else [services]
    codes = [s["service_code"] for s in services]
    check("S0102" in codes and "S0103" in codes, f"{output_format} services: {codes}")
    check(all(s["service_name"] for s in services), "every service has a name")

    definition = client.get_service_definition("S0102")
    if output_format == "json":
        valid(definition, "service-definition.json")
    check(definition["service_code"] == "S0102", f"{output_format} definition {definition}")

    listed = client.get_service_requests()
    if output_format == "json":
        valid(listed, "requests.json")
    else:
        listed = listed["service_requests"]["request"] if isinstance(listed, dict) and "service_requests" in listed else listed
        listed = listed if isinstance(listed, list) else [listed]
    ids = [r["service_request_id"] for r in listed]
    check(set(filed) <= set(ids), f"{output_format} list {ids} holds {filed}")

    some = client.get_service_requests(service_request_id=",".join(filed))
    if output_format == "json":
        valid(some, "requests.json")
        check(sorted(r["service_request_id"] for r in some) == sorted(filed), f"by id: {some}")
        for request in some:
            valid(request, "request.json")

    one = client.get_service_request(filed[1])
    if output_format == "json":
        valid(one, "request.json")
    check(one["service_request_id"] == filed[1], f"{output_format} one: {one}")
    check(one["address_id"] == "110105026000", f"{output_format} located in 望京: {one}")

    if output_format == "json":
        # (The library cannot read an empty XML list, so the filter is checked in JSON.)
        closed = client.get_service_requests(status="closed")
        check(all(r["status"] == "closed" for r in closed), f"closed {closed}")

# Direct reads in JSON with the extensions, validated too.
answer = requests.get(f"{root}/requests/{filed[0]}.json", params={"extensions": "true"})
check(answer.status_code == 200, answer.text)
valid(answer.json(), "requests.json")
check(answer.json()[0]["extended_attributes"]["detailed_status"] == "OPEN", answer.text)
missing = requests.get(f"{root}/requests/99999999.json")
check(missing.status_code == 404 and missing.json()[0]["code"] == 404, missing.text)

print(f"{checks} passed, 0 failed")

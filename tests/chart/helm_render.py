"""Lints and renders the Helm chart with Helm's own Go SDK (helm-python-sdk), then validates
every rendered manifest against the Kubernetes OpenAPI schemas that kubernetes-validate ships.

Usage: helm_render.py CHART OUT_DIR VALUES_JSON K8S_VERSION...
Writes each rendered document (CRDs first) to OUT_DIR as NN-kind-name.yaml and prints one JSON
report on stdout: lint messages, the files written, validation failures, kinds not validated.
"""

import json
import sys
from pathlib import Path

import helm_python
import kubernetes_validate
import yaml

# Kinds that are not part of Kubernetes itself: their schema comes with their own CRDs.
FOREIGN_GROUPS = ("monitoring.coreos.com/",)


def documents(text):
    return [doc for doc in yaml.safe_load_all(text) if doc]


def main():
    chart_dir, out_dir, values_json, *versions = sys.argv[1:]
    values = json.loads(values_json)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lint = helm_python.lint(chart_dir, values, strict=True, namespace="patchwarden")
    chart = helm_python.Chart.load(chart_dir)
    try:
        rendered = chart.render(values, name="patchwarden", namespace="patchwarden",
                                is_install=True)
    except helm_python.HelmError as error:
        json.dump({"lint": lint, "render_error": str(error)}, sys.stdout)
        return
    docs = []
    for crd in sorted(chart.crds, key=lambda c: c["name"]):
        docs.extend(documents(crd["data"]))
    notes = ""
    for name in sorted(rendered):
        if name.endswith("NOTES.txt"):
            notes = rendered[name]
        elif name.endswith(".yaml"):
            docs.extend(documents(rendered[name]))
    files, failures, foreign = [], [], []
    for index, doc in enumerate(docs):
        kind, name = doc["kind"], doc["metadata"]["name"]
        path = out / f"{index:02d}-{kind.lower()}-{name}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        files.append({"path": str(path), "kind": kind, "name": name,
                      "apiVersion": doc["apiVersion"]})
        if doc["apiVersion"].startswith(FOREIGN_GROUPS):
            foreign.append(kind)
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except Exception as error:  # every failure is reported, with its kind and name
                failures.append({"kind": kind, "name": name, "version": version,
                                 "error": str(error)})
    json.dump({"lint": lint, "render_error": None, "files": files, "failures": failures, "foreign": foreign,
               "notes": notes}, sys.stdout)


main()

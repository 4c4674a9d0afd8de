"""Transforms a SAM template as CloudFormation does (the SAM translator), and
prints the resulting CloudFormation template as JSON.

Usage: sam_transform.py TEMPLATE [Name=Value ...]   (parameter values)

Local CodeUri folders become S3 URIs (what `sam package` does), so that the
translator, which runs offline here, accepts them.
"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs only when a policy is
    named without its ARN; the templates here name none."""

    def load(self):
        return {}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    with open(sys.argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    parameters = dict(arg.split("=", 1) for arg in sys.argv[2:])
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = "s3://deploy-check/" + props["CodeUri"].strip("/").replace("/", "-") + ".zip"
    print(json.dumps(transform(template, parameters, NoManagedPolicies()), indent=1, default=str))


if __name__ == "__main__":
    main()

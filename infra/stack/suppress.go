package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// skip is one checker finding accepted for a resource, with the reason.
type skip struct {
	id     string // checkov check id, e.g. CKV_AWS_116
	reason string
}

// suppress records checkov suppressions in the resource's Metadata
// ("checkov": {"skip": [{"id", "comment"}]}), where checkov reads them. Calling
// it again for the same resource adds to the list.
func suppress(node constructs.IConstruct, skips ...skip) {
	res, ok := node.(awscdk.CfnResource)
	if !ok || len(skips) == 0 {
		return
	}
	var list []map[string]*string
	if prev, ok := res.GetMetadata(jsii.String("checkov")).(map[string]interface{}); ok {
		if items, ok := prev["skip"].([]interface{}); ok {
			for _, it := range items {
				if m, ok := it.(map[string]interface{}); ok {
					id, _ := m["id"].(string)
					comment, _ := m["comment"].(string)
					list = append(list, map[string]*string{"id": jsii.String(id), "comment": jsii.String(comment)})
				}
			}
		}
	}
	for _, s := range skips {
		list = append(list, map[string]*string{"id": jsii.String(s.id), "comment": jsii.String(s.reason)})
	}
	res.AddMetadata(jsii.String("checkov"), map[string]interface{}{"skip": list})
}

// nagRule is one cdk-nag AwsSolutions finding accepted for a resource, with
// the reason. The id names the whole rule ("AwsSolutions-SQS3") or, for rules
// that report several findings per resource, one finding
// ("AwsSolutions-IAM5[Resource::*]"), which keeps other findings of the rule
// on that resource reported.
type nagRule struct {
	id     string
	reason string
}

// suppressNag records cdk-nag suppressions in the resource's Metadata in
// cdk-nag's CloudFormation format ("cdk_nag": {"rules_to_suppress": [{"id",
// "reason"}]}), which infra/nag/nag.js turns into acknowledgements when it
// runs the AwsSolutions pack on the synthesized template. Calling it again for
// the same resource adds to the list; an id already listed is kept once (the
// first reason wins), so a role's default policy shared by several grants
// carries each finding once.
func suppressNag(node constructs.IConstruct, rules ...nagRule) {
	res, ok := node.(awscdk.CfnResource)
	if !ok || len(rules) == 0 {
		return
	}
	var list []map[string]*string
	seen := map[string]bool{}
	add := func(id, reason string) {
		if seen[id] {
			return
		}
		seen[id] = true
		list = append(list, map[string]*string{"id": jsii.String(id), "reason": jsii.String(reason)})
	}
	if prev, ok := res.GetMetadata(jsii.String("cdk_nag")).(map[string]interface{}); ok {
		if items, ok := prev["rules_to_suppress"].([]interface{}); ok {
			for _, it := range items {
				if m, ok := it.(map[string]interface{}); ok {
					id, _ := m["id"].(string)
					reason, _ := m["reason"].(string)
					add(id, reason)
				}
			}
		}
	}
	for _, r := range rules {
		add(r.id, r.reason)
	}
	res.AddMetadata(jsii.String("cdk_nag"), map[string]interface{}{"rules_to_suppress": list})
}

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

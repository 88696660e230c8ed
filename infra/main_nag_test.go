package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// nagSuppressions returns a resource's cdk-nag suppressions (Metadata.cdk_nag,
// read by infra/nag/nag.js) as id -> reason, and fails the test for an entry
// without an AwsSolutions id or without a real reason.
func nagSuppressions(t *testing.T, id string, r resource) map[string]string {
	t.Helper()
	out := map[string]string{}
	meta, ok := r.Metadata["cdk_nag"]
	if !ok {
		return out
	}
	var doc struct {
		Rules []struct{ ID, Reason string } `json:"rules_to_suppress"`
	}
	raw, _ := json.Marshal(meta)
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Rules) == 0 {
		t.Errorf("%s: Metadata.cdk_nag %s: want rules_to_suppress with entries (%v)", id, raw, err)
		return out
	}
	for _, rule := range doc.Rules {
		if !strings.HasPrefix(rule.ID, "AwsSolutions-") {
			t.Errorf("%s: cdk_nag suppression id %q is not an AwsSolutions rule", id, rule.ID)
		}
		if len(strings.TrimSpace(rule.Reason)) < 40 {
			t.Errorf("%s: cdk_nag suppression %s has no real reason: %q", id, rule.ID, rule.Reason)
		}
		if _, dup := out[rule.ID]; dup {
			t.Errorf("%s: cdk_nag suppression %s listed twice", id, rule.ID)
		}
		out[rule.ID] = rule.Reason
	}
	return out
}

// checkNagSuppressions asserts the cdk-nag suppressions of a template: each
// has a reason; they sit only where the design needs them (on-failure queues:
// SQS3; policies: IAM5 for a wildcard resource that is really in the policy),
// and every on-failure queue and wildcard resource has one, so `make infra-nag`
// passes. It returns the number of suppressions per rule id (the finding part
// cut), for the caller to compare.
func checkNagSuppressions(t *testing.T, resources map[string]resource) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for id, r := range resources {
		sup := nagSuppressions(t, id, r)
		for rule := range sup {
			base, _, _ := strings.Cut(rule, "[")
			counts[base]++
		}
		switch r.Type {
		case "AWS::SQS::Queue":
			if _, ok := sup["AwsSolutions-SQS3"]; !ok || len(sup) != 1 {
				t.Errorf("queue %s: cdk_nag suppressions %v, want AwsSolutions-SQS3 only", id, keys(sup))
			}
		case "AWS::IAM::Policy":
			wild := map[string]bool{}
			for _, res := range policyResources(r) {
				if strings.Contains(res, "*") {
					wild["AwsSolutions-IAM5[Resource::"+res+"]"] = true
				}
			}
			for rule := range sup {
				if !wild[rule] {
					t.Errorf("policy %s: cdk_nag suppression %s matches no wildcard resource of the policy", id, rule)
				}
			}
			for rule := range wild {
				if _, ok := sup[rule]; !ok {
					t.Errorf("policy %s: wildcard resource finding %s has no suppression with a reason", id, rule)
				}
			}
		default:
			if len(sup) > 0 {
				t.Errorf("%s (%s): unexpected cdk_nag suppressions %v", id, r.Type, keys(sup))
			}
		}
	}
	return counts
}

// policyResources returns the plain-string resources of a policy's statements.
func policyResources(r resource) []string {
	var out []string
	sts, _ := r.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any)
	for _, s := range sts {
		switch res := s.(map[string]any)["Resource"].(type) {
		case string:
			out = append(out, res)
		case []any:
			for _, x := range res {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
)

const (
	testClusterARN = "arn:aws:kafka:eu-west-1:123456789012:cluster/shop/0a1b2c3d-1111-2222-3333-444455556666-2"
	testTopicARN   = "arn:aws:kafka:eu-west-1:123456789012:topic/shop/0a1b2c3d-1111-2222-3333-444455556666-2/"
	testGroupARN   = "arn:aws:kafka:eu-west-1:123456789012:group/shop/0a1b2c3d-1111-2222-3333-444455556666-2/"
	testSecretARN  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slkc/db-AbCdEf"
)

// assetDir returns a folder with a placeholder bootstrap, standing in for
// build/<function> when the functions are not built.
func assetDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newTestStack() awscdk.Stack {
	app := awscdk.NewApp(&awscdk.AppProps{
		Context: &map[string]interface{}{"aws:cdk:enable-asset-metadata": true},
	})
	return awscdk.NewStack(app, jsii.String("Test"), nil)
}

func connector(t *testing.T, doc string) pipeline.Connector {
	t.Helper()
	c, err := pipeline.Parse("test.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// template is the synthesized template as plain JSON values.
type template struct {
	t         *testing.T
	resources map[string]map[string]any
}

func synth(t *testing.T, st awscdk.Stack) *template {
	t.Helper()
	raw := assertions.Template_FromStack(st, nil).ToJSON()
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return &template{t: t, resources: doc.Resources}
}

// all returns the resources of a type (sorted by logical id for stable output).
func (x *template) all(typ string) []map[string]any {
	var ids []string
	for id, r := range x.resources {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = x.resources[id]
	}
	return out
}

func (x *template) count(typ string) int { return len(x.all(typ)) }

// one returns the only resource of a type.
func (x *template) one(typ string) map[string]any {
	x.t.Helper()
	rs := x.all(typ)
	if len(rs) != 1 {
		x.t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	return rs[0]
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// get walks a path of map keys.
func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// statement is a flattened IAM statement.
type statement struct {
	Sid       string
	Actions   []string
	Resources []any // strings or intrinsic functions
}

// statements returns every Allow statement of every AWS::IAM::Policy.
func (x *template) statements() []statement {
	var out []statement
	for _, p := range x.all("AWS::IAM::Policy") {
		sts, _ := get(props(p), "PolicyDocument", "Statement").([]any)
		for _, s := range sts {
			m := s.(map[string]any)
			if m["Effect"] != "Allow" {
				continue
			}
			st := statement{Sid: str(m["Sid"]), Actions: strs(m["Action"])}
			switch r := m["Resource"].(type) {
			case []any:
				st.Resources = r
			default:
				st.Resources = []any{r}
			}
			out = append(out, st)
		}
	}
	return out
}

// roleStatements returns the Allow statements of the policies attached to
// the role with logical id role.
func (x *template) roleStatements(role string) []statement {
	var out []statement
	for _, p := range x.all("AWS::IAM::Policy") {
		roles, _ := props(p)["Roles"].([]any)
		attached := false
		for _, r := range roles {
			attached = attached || get(r, "Ref") == role
		}
		if !attached {
			continue
		}
		one := &template{t: x.t, resources: map[string]map[string]any{"P": p}}
		out = append(out, one.statements()...)
	}
	return out
}

// withAction returns the statements granting action.
func withAction(sts []statement, action string) []statement {
	var out []statement
	for _, s := range sts {
		for _, a := range s.Actions {
			if a == action {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

func strs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, len(t))
		for i, e := range t {
			out[i] = str(e)
		}
		return out
	}
	return nil
}

// resourceStrings returns the plain-string resources of statements.
func resourceStrings(sts []statement) []string {
	var out []string
	for _, s := range sts {
		for _, r := range s.Resources {
			if s, ok := r.(string); ok {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		t.Errorf("%s = %s, want %s", what, gb, wb)
	}
}

// checkLeastPrivilege asserts the rules every template must keep: no managed
// policies on roles, and "*" resources only for the documented VPC ENI statement.
func checkLeastPrivilege(t *testing.T, x *template) {
	t.Helper()
	for _, r := range x.all("AWS::IAM::Role") {
		if mp := props(r)["ManagedPolicyArns"]; mp != nil {
			t.Errorf("role has managed policies %v", mp)
		}
	}
	for _, s := range x.statements() {
		for _, r := range s.Resources {
			rs, ok := r.(string)
			if !ok {
				continue
			}
			if rs == "*" && s.Sid != "LambdaVpcNetworkInterfaces" {
				t.Errorf("statement %q %v has resource *", s.Sid, s.Actions)
			}
			if strings.HasSuffix(rs, "/*") && !strings.Contains(rs, ":topic/") {
				t.Errorf("statement %q has wildcard resource %s", s.Sid, rs)
			}
		}
		for _, a := range s.Actions {
			if strings.Contains(a, "*") {
				t.Errorf("statement %q has wildcard action %s", s.Sid, a)
			}
		}
	}
}

// checkovSkips returns the checkov suppression ids of a resource, and fails
// the test when one has no reason.
func checkovSkips(t *testing.T, r map[string]any) []string {
	t.Helper()
	items, _ := get(r, "Metadata", "checkov", "skip").([]any)
	var ids []string
	for _, it := range items {
		m := it.(map[string]any)
		if len(str(m["comment"])) < 20 {
			t.Errorf("checkov skip %v has no real reason", m)
		}
		ids = append(ids, str(m["id"]))
	}
	sort.Strings(ids)
	return ids
}

// flatten renders a resource (a string or an Fn::Join) as one string, with
// intrinsic references shown as {...}.
func flatten(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if j, ok := t["Fn::Join"].([]any); ok && len(j) == 2 {
			var b strings.Builder
			parts, _ := j[1].([]any)
			for i, p := range parts {
				if i > 0 {
					b.WriteString(str(j[0]))
				}
				b.WriteString(flatten(p))
			}
			return b.String()
		}
		return "{...}"
	}
	return ""
}

// alarmOn returns the properties of the only alarm on metric name.
func alarmOn(t *testing.T, x *template, metric string) map[string]any {
	t.Helper()
	var out []map[string]any
	for _, a := range x.all("AWS::CloudWatch::Alarm") {
		if props(a)["MetricName"] == metric {
			out = append(out, props(a))
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d alarms on %s, want 1", len(out), metric)
	}
	return out[0]
}

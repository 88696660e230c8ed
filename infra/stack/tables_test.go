package stack

import "testing"

func TestStateTables(t *testing.T) {
	st := newTestStack()
	if _, err := NewStateTables(st, "State", nil); err != nil {
		t.Fatal(err)
	}
	x := synth(t, st)
	tables := x.all("AWS::DynamoDB::Table")
	if len(tables) != 3 {
		t.Fatalf("%d tables, want 3", len(tables))
	}
	type keys struct{ hash, rng, ttl string }
	var got []keys
	for _, r := range tables {
		p := props(r)
		equal(t, "BillingMode", p["BillingMode"], "PAY_PER_REQUEST")
		equal(t, "PITR", get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), true)
		equal(t, "DeletionPolicy", r["DeletionPolicy"], "Retain")
		equal(t, "UpdateReplacePolicy", r["UpdateReplacePolicy"], "Retain")
		if p["TableName"] != nil {
			t.Errorf("TableName %v is fixed; want generated names", p["TableName"])
		}
		var k keys
		for _, e := range p["KeySchema"].([]any) {
			m := e.(map[string]any)
			if m["KeyType"] == "HASH" {
				k.hash = str(m["AttributeName"])
			} else {
				k.rng = str(m["AttributeName"])
			}
		}
		for _, a := range p["AttributeDefinitions"].([]any) {
			equal(t, "attribute type", get(a, "AttributeType"), "S")
		}
		if get(p, "TimeToLiveSpecification", "Enabled") == true {
			k.ttl = str(get(p, "TimeToLiveSpecification", "AttributeName"))
		}
		got = append(got, k)
		if ids := checkovSkips(t, r); len(ids) != 1 || ids[0] != "CKV_AWS_119" {
			t.Errorf("checkov skips = %v", ids)
		}
	}
	want := map[keys]bool{
		{"connector", "partition", ""}: true, // offsets
		{"connector", "", "ttl"}:       true, // leases
		{"connector", "task", ""}:      true, // status
	}
	for _, k := range got {
		if !want[k] {
			t.Errorf("unexpected table keys %+v", k)
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("missing tables %v", want)
	}
}

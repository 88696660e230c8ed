package stack

import (
	"testing"
)

// TestSourceTasks: tasks.max 3 gives three schedules on one function, each
// target's constant input naming its task, with their own retries and
// dead-letter queue, and three reserved concurrent pollers.
func TestSourceTasks(t *testing.T) {
	st := newTestStack()
	tables, _ := NewStateTables(st, "State", nil)
	s, err := NewSourceConnector(st, "Orders", &SourceConnectorProps{
		Connector: sourceConnector(t, "60000", "60", `,"tasks.max":"3"`), AssetPath: assetDir(t),
		Tables: tables, Kafka: &Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}, SecretARNs: []string{testSecretARN},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules) != 3 || s.Rule != s.Rules[0] {
		t.Fatalf("%d rules, want 3 with Rule the first", len(s.Rules))
	}
	x := synth(t, st)
	equal(t, "functions", x.count("AWS::Lambda::Function"), 1)
	equal(t, "ReservedConcurrentExecutions", props(x.one("AWS::Lambda::Function"))["ReservedConcurrentExecutions"], 3.0)
	inputs := map[string]bool{}
	for _, r := range x.all("AWS::Events::Rule") {
		p := props(r)
		equal(t, "schedule", p["ScheduleExpression"], "rate(1 minute)")
		target := p["Targets"].([]any)[0]
		if get(target, "DeadLetterConfig", "Arn") == nil || get(target, "RetryPolicy", "MaximumRetryAttempts") != 2.0 {
			t.Errorf("rule target lacks its dead-letter queue or retries: %v", target)
		}
		inputs[str(get(target, "Input"))] = true
	}
	for _, want := range []string{`{"task_id":0}`, `{"task_id":1}`, `{"task_id":2}`} {
		if !inputs[want] {
			t.Errorf("no rule with input %s; got %v", want, inputs)
		}
	}
}

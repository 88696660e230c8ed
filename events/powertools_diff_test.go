package events

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPartialBatchResponseMatchesPowertools is the differential proof of the
// Kafka partial batch response: for every event fixture and several sets of
// failed records, the response we write must equal, item for item and byte
// for byte, the one AWS's own implementation builds for the same failures
// (AWS Lambda Powertools for Python, BatchProcessor with EventType.Kafka,
// installed from PyPI by localstack/harness/powertools/venv.sh). Lambda reads
// the items as a set (it resumes each partition at its lowest failed
// offset), so the lists are compared in a canonical order.
func TestPartialBatchResponseMatchesPowertools(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Python (Powertools from PyPI); skipped under -short")
	}
	python, err := exec.Command(filepath.Join("..", "localstack", "harness", "powertools", "venv.sh")).Output()
	if err != nil {
		msg := "cannot install AWS Lambda Powertools for Python (localstack/harness/powertools/venv.sh): " + errText(err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	type testCase struct {
		Event json.RawMessage `json:"event"`
		Fail  [][3]any        `json:"fail"`
	}
	var cases []testCase
	var ours [][]byte
	var names []string
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, f := range fixtures {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var e KafkaEvent
		if json.Unmarshal(raw, &e) != nil || len(e.Records) == 0 {
			continue // not a Kafka event (scheduled event, batch response)
		}
		var all []KafkaRecord
		_ = e.Each(func(_ string, _ int, r KafkaRecord) error { all = append(all, r); return nil })
		firstPerPartition := map[string]bool{}
		sets := map[string][]KafkaRecord{"none": nil, "every record": all, "last record": all[len(all)-1:]}
		for _, r := range all {
			if k := TopicPartition(r.Topic, r.Partition); !firstPerPartition[k] {
				firstPerPartition[k] = true
				sets["first of each partition"] = append(sets["first of each partition"], r)
			}
		}
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for k := range sets {
				if !yield(k) {
					return
				}
			}
		}) {
			var resp KafkaBatchResponse
			c := testCase{Event: raw, Fail: [][3]any{}}
			for _, r := range sets[name] {
				resp.Fail(r)
				c.Fail = append(c.Fail, [3]any{r.Topic, r.Partition, r.Offset})
			}
			b, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			cases, ours, names = append(cases, c), append(ours, b), append(names, filepath.Base(f)+": "+name)
		}
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases from %d fixtures", len(cases), len(fixtures))
	}

	in, _ := json.Marshal(cases)
	cmd := exec.Command(strings.TrimSpace(string(python)), filepath.Join("..", "localstack", "harness", "powertools", "response.py"))
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("powertools: %s", errText(err))
	}
	var theirs []json.RawMessage
	if err := json.Unmarshal(out, &theirs); err != nil || len(theirs) != len(cases) {
		t.Fatalf("powertools answered %d responses (%v), want %d", len(theirs), err, len(cases))
	}
	for i := range cases {
		if got, want := canonicalItems(t, ours[i]), canonicalItems(t, theirs[i]); !slices.Equal(got, want) {
			t.Errorf("%s:\n ours       %s\n powertools %s", names[i], ours[i], theirs[i])
		}
	}
	t.Logf("%d responses from %d fixtures equal Powertools'", len(cases), len(fixtures))
}

// canonicalItems checks the response's shape and returns each failure item
// re-encoded compactly (key order kept), sorted.
func canonicalItems(t *testing.T, b []byte) []string {
	t.Helper()
	var r map[string][]json.RawMessage
	if err := json.Unmarshal(b, &r); err != nil || len(r) != 1 || r["batchItemFailures"] == nil {
		t.Fatalf("not a batch response with a batchItemFailures list: %s", b)
	}
	var items []string
	for _, it := range r["batchItemFailures"] {
		var c bytes.Buffer
		if err := json.Compact(&c, it); err != nil {
			t.Fatal(err)
		}
		items = append(items, c.String())
	}
	slices.Sort(items)
	return items
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return err.Error() + ": " + string(ee.Stderr)
	}
	return err.Error()
}

package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzKafkaEventDecode feeds arbitrary JSON to the event decoder: unmarshal,
// Validate, the Decode helpers and the batch response must never panic.
func FuzzKafkaEventDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"records":{"t-0":[{"topic":"t","partition":0,"headers":[{"h":[-1,256]}]}]}}`))
	f.Add([]byte(`{"records":{"-1":[{"topic":"","partition":-1,"key":"=","value":null}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e KafkaEvent
		if err := json.Unmarshal(data, &e); err != nil {
			return
		}
		valid := e.Validate() == nil
		_ = e.Partitions()
		var resp KafkaBatchResponse
		_ = e.Each(func(_ string, _ int, r KafkaRecord) error {
			_, kerr := r.DecodeKey()
			_, verr := r.DecodeValue()
			if valid && (kerr != nil || verr != nil) {
				t.Fatalf("Validate passed but decode failed: %v %v", kerr, verr)
			}
			_ = r.HeaderList()
			_, _ = r.ToConnect()
			resp.Fail(r)
			return nil
		})
		if valid {
			if err := resp.CheckAgainst(&e); err != nil {
				t.Fatalf("failures built from the event do not match it: %v", err)
			}
		}
		out, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		var back KafkaBatchResponse
		if err := json.Unmarshal(out, &back); err != nil && valid {
			t.Fatalf("response does not read back: %v\n%s", err, out)
		}
	})
}

package connectapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestValidateMatchesConnect is a differential test of the validate
// response: for one small set of definitions and several configs, Kafka
// Connect's own ConfigDef.validate and AbstractHerder.generateResult
// (connect-runtime, serialised by Jackson as its REST layer does, through
// localstack/harness/validate) and ValidateDef must give the same JSON,
// byte for byte, except for the error messages: their wording differs, so
// each errors array is compared by whether it is empty, and error_count by
// itself only against our own errors (Connect reports a value of the wrong
// type twice when the key has a validator: the parse error, then the
// validator's on the null it leaves). One known difference is left out of
// the configs: a list's empty items ("a,,b", "a,") are dropped by our
// parse and kept by Connect's. Needs a JDK and Maven: skipped under
// -short, fails with CI=true when they are missing.
func TestValidateMatchesConnect(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test against Kafka Connect's jars")
	}
	type rangeKey struct {
		key      config.Key
		min, max *int64
	}
	one, ten := int64(1), int64(10)
	keys := []rangeKey{
		{key: config.Key{Name: "a", Type: config.String, Required: true, Doc: "A string without default.", Group: "First"}},
		{key: config.Key{Name: "b", Type: config.Int, Default: config.Default("5"), Doc: "An int from 1 to 10.", Group: "First"}, min: &one, max: &ten},
		{key: config.Key{Name: "c", Type: config.Long, Doc: "An optional long without default.", Group: "First", Importance: config.ImportanceLow}},
		{key: config.Key{Name: "l", Type: config.List, Default: config.Default(""), Doc: "A list.", Group: "Second"}},
		{key: config.Key{Name: "p", Type: config.Password, Default: config.Default(""), Doc: "A password.", Group: "Second"}},
		{key: config.Key{Name: "s", Type: config.Bool, Default: config.Default("false"), Doc: "A flag.", Group: "Second", Importance: config.ImportanceHigh}},
	}
	def := config.NewDef()
	for _, rk := range keys {
		k := rk.key
		if rk.min != nil {
			k.Validator = config.Range(*rk.min, *rk.max)
		}
		def.Define(k)
	}
	cases := []struct {
		name  string
		props map[string]string
	}{
		{"valid, values shown as Connect parses them", map[string]string{"a": " x ", "b": "07", "l": " u , v", "p": "secret", "s": "TRUE", "c": "-3"}},
		{"defaults only, a required key missing", map[string]string{}},
		{"every kind of problem at once", map[string]string{"b": "0", "c": "x", "s": "yes"}},
		{"value not of the key's type", map[string]string{"a": "x", "b": "five"}},
	}
	type spec struct {
		Name  string            `json:"name"`
		Keys  []map[string]any  `json:"keys"`
		Props map[string]string `json:"props"`
	}
	var specs []spec
	for _, tc := range cases {
		s := spec{Name: "Test", Props: tc.props}
		for _, k := range def.Keys() { // the order the Go answer lists them in
			var rk rangeKey
			for _, r := range keys {
				if r.key.Name == k.Name {
					rk = r
				}
			}
			s.Keys = append(s.Keys, map[string]any{"name": k.Name, "type": k.Type.String(), "default": k.Default, "required": k.Required,
				"importance": k.ImportanceName(), "doc": k.Doc, "group": k.Group, "min": rk.min, "max": rk.max})
		}
		specs = append(specs, s)
	}
	input, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	connect := runValidateHarness(t, input)
	if len(connect) != len(cases) {
		t.Fatalf("harness gave %d answers for %d configs", len(connect), len(cases))
	}
	errorsText := regexp.MustCompile(`"errors":\[("(\\.|[^"\\])*",?)*\]`)
	errorCount := regexp.MustCompile(`"error_count":[0-9]+`)
	norm := func(b []byte) string {
		b = errorCount.ReplaceAll(b, []byte(`"error_count":N`))
		return string(errorsText.ReplaceAllFunc(b, func(m []byte) []byte {
			if string(m) == `"errors":[]` {
				return []byte(`"errors":"none"`)
			}
			return []byte(`"errors":"some"`)
		}))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := ValidateDef("Test", def, tc.props)
			n := 0
			for _, c := range res.Configs {
				n += len(c.Value.Errors)
			}
			if res.ErrorCount != n {
				t.Errorf("error_count %d, %d errors listed", res.ErrorCount, n)
			}
			got, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := norm(got), norm(connect[i]); g != w {
				t.Errorf("validate response differs from Kafka Connect's (errors compared by count)\n go:      %s\n connect: %s", g, w)
			}
		})
	}
}

// runValidateHarness runs localstack/harness/validate/run.sh (Kafka
// Connect's validate rendering) on input and returns its answers, one per
// spec.
func runValidateHarness(t *testing.T, input []byte) [][]byte {
	t.Helper()
	out := testenv.JavaHarness(t, "localstack/harness/validate/run.sh", input)
	var answers [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		answers = append(answers, append([]byte(nil), sc.Bytes()...))
	}
	return answers
}

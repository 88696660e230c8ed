package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseFile(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want *File
		err  string
	}{
		{"rest form", `{"name":"a","config":{"connector.class":"X","tasks.max":"1"}}`,
			&File{"a", map[string]string{"name": "a", "connector.class": "X", "tasks.max": "1"}}, ""},
		{"numbers and booleans normalized", `{"name":"a","config":{"tasks.max":2,"x.ratio":1.50,"big":12345678901234567890,"b":true,"c":false}}`,
			&File{"a", map[string]string{"name": "a", "tasks.max": "2", "x.ratio": "1.50", "big": "12345678901234567890", "b": "true", "c": "false"}}, ""},
		{"flat form", `{"name":"a","connector.class":"X","topics":"t"}`,
			&File{"a", map[string]string{"name": "a", "connector.class": "X", "topics": "t"}}, ""},
		{"name only inside config", `{"config":{"name":"a","connector.class":"X"}}`,
			&File{"a", map[string]string{"name": "a", "connector.class": "X"}}, ""},
		{"object value", `{"name":"a","config":{"ok":"1","nested":{"x":1}}}`, nil, `key "nested": value is an object`},
		{"array value", `{"name":"a","config":{"topics":["a","b"]}}`, nil, `key "topics": value is an array`},
		{"null value", `{"name":"a","config":{"topics":null}}`, nil, `key "topics": value is null`},
		{"duplicate key", `{"name":"a","config":{"topics":"a","topics":"b"}}`, nil, `key "topics" appears twice in config`},
		{"name mismatch", `{"name":"a","config":{"name":"b"}}`, nil, `config name "b" differs from connector name "a"`},
		{"missing name", `{"config":{"connector.class":"X"}}`, nil, `missing connector "name"`},
		{"empty name", `{"name":" ","config":{}}`, nil, `missing connector "name"`},
		{"unknown top-level field", `{"name":"a","confg":{}, "config":{}}`, nil, `unknown top-level field "confg"`},
		{"flat without class", `{"name":"a","topics":"t"}`, nil, `want {"name"`},
		{"config not an object", `{"name":"a","config":"x"}`, nil, `"config" must be a JSON object`},
		{"not an object", `["a"]`, nil, `want a JSON object`},
		{"trailing data", `{"name":"a","config":{}} {}`, nil, `unexpected data after`},
		{"broken JSON", `{"name":"a","config":{"x":}`, nil, `invalid JSON`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse([]byte(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	files, err := LoadDir(filepath.Join("testdata", "pipeline"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Name != "inventory-source" || files[1].Name != "orders-dynamodb" {
		t.Fatalf("files = %+v", files)
	}
	if files[0].Config["transforms.route.replacement"] != "mysql.$1" || files[0].Config["aws.lambda.timeout.seconds"] != "120" {
		t.Fatalf("config = %v", files[0].Config)
	}

	_, err = LoadDir(filepath.Join("testdata", "dup"))
	if err == nil || !strings.Contains(err.Error(), `"orders-dynamodb" is defined in both`) ||
		!strings.Contains(err.Error(), "a.json") || !strings.Contains(err.Error(), "b.json") {
		t.Fatalf("dup err = %v", err)
	}
	_, err = LoadDir(filepath.Join("testdata", "bad"))
	if err == nil || !strings.Contains(err.Error(), "x.json") || !strings.Contains(err.Error(), `key "tasks.max": value is an array`) {
		t.Fatalf("bad err = %v", err)
	}
	if _, err := LoadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.json") {
		t.Fatalf("empty dir err = %v", err)
	}
	if _, err := Load(filepath.Join("testdata", "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file err = %v", err)
	}
}

func TestLoadFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(path, []byte(`{"name":"from-file","config":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		want string
		err  string
	}{
		{"text wins", map[string]string{EnvConnectorConfig: `{"name":"from-env","config":{}}`, EnvConnectorConfigFile: path}, "from-env", ""},
		{"file", map[string]string{EnvConnectorConfigFile: path}, "from-file", ""},
		{"neither", map[string]string{}, "", "set SLKC_CONNECTOR_CONFIG"},
		{"bad text names variable", map[string]string{EnvConnectorConfig: `{`}, "", "SLKC_CONNECTOR_CONFIG: config: invalid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := LoadFromEnv(func(k string) string { return c.env[k] })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || f.Name != c.want {
				t.Fatalf("got %+v, %v", f, err)
			}
		})
	}
}

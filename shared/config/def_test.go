package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func testDef() *Def {
	return NewDef(
		Key{Name: "s", Type: String, Default: Default("x")},
		Key{Name: "req", Type: String, Required: true, Validator: NonEmpty(), Doc: "a required key"},
		Key{Name: "i", Type: Int, Default: Default("1"), Validator: Range(1, 10)},
		Key{Name: "l", Type: Long, Default: Default("-5")},
		Key{Name: "d", Type: Double, Default: Default("0.5")},
		Key{Name: "b", Type: Bool, Default: Default("false")},
		Key{Name: "list", Type: List, Default: Default("a, b,,c ")},
		Key{Name: "pw", Type: Password, Validator: Regexp(`^.{8,}$`)},
		Key{Name: "cls", Type: Class, Default: Default("a.b.C")},
		Key{Name: "mode", Type: String, Default: Default("bulk"), Validator: OneOf("bulk", "incrementing")},
		Key{Name: "unset", Type: String},
	).AllowPrefix("extra.")
}

func TestDefParseTypesAndDefaults(t *testing.T) {
	v, err := testDef().Parse(map[string]string{"req": "r", "i": " 7 ", "b": "TRUE", "pw": "longenough", "extra.x.y": "z"})
	if err != nil {
		t.Fatal(err)
	}
	if v.String("s") != "x" || v.String("req") != "r" || v.Int("i") != 7 || v.Long("l") != -5 || v.Double("d") != 0.5 ||
		!v.Bool("b") || v.String("cls") != "a.b.C" || v.Password("pw").Value() != "longenough" {
		t.Fatalf("values = %v", v.Redacted())
	}
	if got := v.List("list"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("List = %q", got)
	}
	if v.Has("unset") || !v.Has("s") || !v.Defined("unset") || v.Defined("nope") || v.String("unset") != "" {
		t.Fatal("Has/Defined")
	}
	if got := v.WithPrefix("extra."); !reflect.DeepEqual(got, map[string]string{"x.y": "z"}) {
		t.Fatalf("WithPrefix = %v", got)
	}
	assertPanics(t, "undefined key", func() { v.String("nope") })
	assertPanics(t, "wrong type", func() { v.Int("s") })
}

func TestDefParseErrors(t *testing.T) {
	cases := []struct {
		name  string
		props map[string]string
		want  []string
	}{
		{"int not a number", map[string]string{"req": "r", "i": "ten"}, []string{`invalid value "ten" for config key "i": expected a 32-bit integer (INT)`}},
		{"int out of range", map[string]string{"req": "r", "i": "11"}, []string{`invalid value "11" for config key "i": value must be no more than 10`}},
		{"int too big for INT", map[string]string{"req": "r", "i": "3000000000"}, []string{`config key "i": expected a 32-bit integer`}},
		{"long", map[string]string{"req": "r", "l": "1.5"}, []string{`config key "l": expected a 64-bit integer (LONG)`}},
		{"double", map[string]string{"req": "r", "d": "abc"}, []string{`config key "d": expected a number (DOUBLE)`}},
		{"bool", map[string]string{"req": "r", "b": "yes"}, []string{`invalid value "yes" for config key "b": expected true or false`}},
		{"class", map[string]string{"req": "r", "cls": "not a class"}, []string{`config key "cls": expected a class name`}},
		{"one of", map[string]string{"req": "r", "mode": "BULK"}, []string{`invalid value "BULK" for config key "mode": value must be one of bulk, incrementing`}},
		{"missing required", map[string]string{}, []string{`config key "req": missing required config key (a required key)`}},
		{"empty required", map[string]string{"req": " "}, []string{`config key "req": value must not be empty`}},
		{"unknown with suggestion", map[string]string{"req": "r", "mdoe": "bulk"}, []string{`config key "mdoe": unknown config key; did you mean "mode"?`}},
		{"unknown without suggestion", map[string]string{"req": "r", "completely.different": "1"}, []string{`config key "completely.different": unknown config key`}},
		{"bare prefix is unknown", map[string]string{"req": "r", "extra.": "1"}, []string{`config key "extra.": unknown config key`}},
		{"password value hidden", map[string]string{"req": "r", "pw": "short"}, []string{`invalid value "[hidden]" for config key "pw"`}},
		{"all errors together sorted by key", map[string]string{"mode": "x", "i": "0", "zzz": "1", "b": "maybe"},
			[]string{`config key "b"`, `config key "i"`, `config key "mode"`, `config key "req": missing`, `config key "zzz": unknown`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := testDef().Parse(c.props)
			if err == nil {
				t.Fatal("Parse = nil error")
			}
			msg := err.Error()
			last := -1
			for _, w := range c.want {
				i := strings.Index(msg, w)
				if i < 0 || i < last {
					t.Fatalf("error\n%s\nlacks (in order) %q", msg, w)
				}
				last = i
			}
			if strings.Contains(msg, "short") {
				t.Fatalf("password leaked: %s", msg)
			}
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatal("errors are not *KeyError")
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	d := FrameworkDef(Sink).Merge(SourceDef())
	cases := map[string]string{
		"value.convertor":              KeyValueConverter,
		"errors.tolerence":             KeyErrorsTolerance,
		"topic":                        KeyTopics,
		"bootstrap.server":             KeyBootstrapServers,
		"aws.lambda.batchsize":         KeyLambdaBatchSize,
		"conection.url":                "",
		"connection.url.something.odd": "",
		"mdoe":                         "",
		// A different key of the same words is not a typo.
		"table.poll.interval.ms": "",
		"poll.intreval.ms":       KeyPollIntervalMs,
		// Overrides: a close name is another client property.
		"producer.override.acks":      "",
		"producer.override.linger.m":  "",
		"producer.override.batchsize": "",
	}
	for in, want := range cases {
		if got := d.suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// An unknown client override names the supported ones, never a "did you
// mean" to a different property.
func TestUnknownOverride(t *testing.T) {
	_, err := FrameworkDef(Source).Parse(map[string]string{KeyBootstrapServers: "b:1", "producer.override.acks": "all"})
	want := `config key "producer.override.acks": unknown config key; the supported producer.override.* keys are ` +
		KeyProducerBatchSize + ", " + KeyProducerCompress + ", " + KeyProducerLingerMs
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestDefineAndMerge(t *testing.T) {
	assertPanics(t, "duplicate", func() { NewDef(Key{Name: "a", Type: String}, Key{Name: "a", Type: Int}) })
	assertPanics(t, "bad default", func() { NewDef(Key{Name: "a", Type: Int, Default: Default("x")}) })
	assertPanics(t, "default fails validator", func() { NewDef(Key{Name: "a", Type: Int, Default: Default("0"), Validator: Range(1, 2)}) })
	assertPanics(t, "no type", func() { NewDef(Key{Name: "a"}) })

	base := NewDef(Key{Name: "a", Type: Int, Default: Default("1")}, Key{Name: "b", Type: String}).AllowPrefix("p.")
	over := NewDef(Key{Name: "a", Type: Int, Default: Default("2")}, Key{Name: "c", Type: Bool, Required: true}).
		AddCheck(func(v Values) []error {
			if v.Bool("c") && v.Int("a") > 5 {
				return []error{Errorf("a", v.Text("a"), "must be at most 5 when c is true")}
			}
			return nil
		})
	m := base.Merge(over)
	if _, ok := base.Key("c"); ok {
		t.Fatal("Merge changed its receiver")
	}
	v, err := m.Parse(map[string]string{"c": "true", "p.x": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Int("a") != 2 {
		t.Fatalf("merged default = %d, want 2 (other overrides)", v.Int("a"))
	}
	if _, err := m.Parse(map[string]string{"c": "true", "a": "9"}); err == nil || !strings.Contains(err.Error(), `invalid value "9" for config key "a": must be at most 5`) {
		t.Fatalf("check err = %v", err)
	}
	if got := m.Prefixes(); !reflect.DeepEqual(got, []string{"p."}) {
		t.Fatalf("Prefixes = %v", got)
	}
	if keys := m.Keys(); len(keys) != 3 {
		t.Fatalf("Keys = %v", keys)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	v, err := testDef().Parse(map[string]string{"req": "r", "pw": "hunter2hunter2", "extra.sasl.jaas.config": "user=pw"})
	if err != nil {
		t.Fatal(err)
	}
	s := v.Password("pw")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "secret", s, "values", v)
	js, _ := json.Marshal(struct{ P Secret }{s})
	out := fmt.Sprintf("%v %+v %#v %s", s, struct{ P Secret }{s}, s, s) + buf.String() + string(js) + fmt.Sprint(v.Redacted())
	if strings.Contains(out, "hunter2") || strings.Contains(out, "user=pw") {
		t.Fatalf("secret printed: %s", out)
	}
	if !strings.Contains(buf.String(), `"req":"r"`) {
		t.Fatalf("slog values lack plain keys: %s", buf.String())
	}
}

func TestValidators(t *testing.T) {
	cases := []struct {
		name string
		v    Validator
		in   string
		err  string
	}{
		{"range low", Range(1, 5), "0", "at least 1"},
		{"range ok", Range(1, 5), "5", ""},
		{"at least", AtLeast(-1), "-2", "at least -1"},
		{"unset ok", RangeOrUnset(-1, 60, 604800), "-1", ""},
		{"unset range", RangeOrUnset(-1, 60, 604800), "59", "-1 or between 60 and 604800"},
		{"fold", OneOfFold("SSL"), "ssl", ""},
		{"fold bad", OneOfFold("SSL", "PLAINTEXT"), "tls", "one of SSL, PLAINTEXT (any case)"},
		{"non empty list", NonEmpty(), " , ", "must not be empty"},
		{"each", Each(HostPort()), "a:1, b", `item 1 "b": expected host:port`},
		{"port", HostPort(), "a:70000", "port must be between"},
		{"ipv6", HostPort(), "[::1]:9092", ""},
		{"all", All(NonEmpty(), Each(HostPort())), "", "must not be empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.v(c.in)
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
		})
	}
}

func assertPanics(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

func TestMarkdown(t *testing.T) {
	md := FrameworkDef(Sink).Markdown()
	for _, want := range []string{
		"| Common | `name` | STRING |  | yes | honoured |",
		"| AWS Lambda | `aws.lambda.batch.size` | INT | `100` |  | honoured |",
		"| Common | `topics` | LIST |  | yes | honoured |",
		"| Common | `topics.regex` | STRING |  |  | refused | Kafka Connect's topic pattern for sinks. **refused**: a Lambda event source mapping",
		"`transforms.`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

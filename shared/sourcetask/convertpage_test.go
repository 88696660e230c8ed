package sourcetask

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/parallel"
)

// opaqueConv hides a converter's type, so convert.SideEffectFree says no
// and convertPage takes its one-goroutine path with the same converter.
type opaqueConv struct{ Converter }

// pageTransform drops every 7th record, fails every 11th and sends every
// 5th to another topic; it is deterministic and keeps no state.
type pageTransform struct{}

func (pageTransform) Apply(r connect.Record) (connect.Record, bool, error) {
	v, _ := r.Value.(*connect.StructValue).Get("id")
	id := v.(int64)
	switch {
	case id%11 == 0:
		return r, false, fmt.Errorf("field missing in record %d", id)
	case id%7 == 0:
		return r, false, nil
	case id%5 == 0:
		r.Topic += "-fives"
	}
	return r, true, nil
}

// TestConvertPageParallelMatchesSequential converts pages that mix kept,
// dropped, transform-failing and converter-failing records with the
// side-effect-free JsonConverter (parallel path for big pages) and the
// same converter behind opaqueConv (one goroutine), under both
// tolerances, and compares the records, the tolerated count, the error
// and the log lines.
func TestConvertPageParallelMatchesSequential(t *testing.T) {
	schema := connect.NewStructSchema("row",
		connect.Field{Name: "id", Schema: &connect.Schema{Type: connect.Int64}},
		connect.Field{Name: "name", Schema: &connect.Schema{Type: connect.String, Optional: true}})
	page := func(n int, badConv bool) []connect.Record {
		recs := make([]connect.Record, n)
		for i := range recs {
			id := int64(i + 1)
			v := connect.NewStruct(schema)
			v.Values[0], v.Values[1] = id, fmt.Sprintf("name %d", id)
			if badConv && id%13 == 0 {
				v.Values[1] = 42 // not a string: the converter fails
			}
			recs[i] = connect.Record{Topic: "t", Key: fmt.Sprint(id), ValueSchema: schema, Value: v,
				Timestamp: time.UnixMilli(1_700_000_000_000 + id), Headers: []connect.Header{{Key: "h", Value: []byte{byte(i)}}}}
		}
		return recs
	}
	key, err := convert.New(convert.StringConverterClass, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	val, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		recs      []string
		tolerated int
		err       string
		logs      string
	}
	run := func(keyConv, valConv Converter, recs []connect.Record, all bool) result {
		var logs bytes.Buffer
		task := &Task{Name: "c", KeyConv: keyConv, ValueConv: valConv, Transforms: pageTransform{}, ToleranceAll: all, LogErrors: true,
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))}
		krs, tolerated, _, err := task.convertPage(context.Background(), connectors.Partition{"table": "t"}, connectors.Position("p"), recs)
		res := result{tolerated: tolerated, logs: logs.String()}
		if err != nil {
			res.err = err.Error()
		}
		for _, kr := range krs {
			res.recs = append(res.recs, fmt.Sprintf("%s %s %s %v %v", kr.Topic, kr.Key, kr.Value, kr.Timestamp.UnixMilli(), kr.Headers))
		}
		return res
	}
	for _, n := range []int{parallel.MinRecords - 1, parallel.MinRecords, 1000} {
		for _, badConv := range []bool{false, true} {
			for _, all := range []bool{false, true} {
				t.Run(fmt.Sprintf("n%d/badconv=%v/all=%v", n, badConv, all), func(t *testing.T) {
					recs := page(n, badConv)
					got := run(key, val, recs, all)
					want := run(opaqueConv{key}, opaqueConv{val}, recs, all)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("parallel:\n%+v\nsequential:\n%+v", got, want)
					}
					if all && (got.err != "" || got.tolerated == 0 || len(got.recs) == 0) {
						t.Fatalf("tolerance all: err %q, %d tolerated, %d kept; want no error and both", got.err, got.tolerated, len(got.recs))
					}
					if !all && !strings.Contains(got.err, "record 10 of page") {
						t.Fatalf("tolerance none: error %q, want the first failing record (index 10, id 11)", got.err)
					}
				})
			}
		}
	}
}

// countingConv counts FromConnect calls and fails on the value "bad".
type countingConv struct{ calls *int }

func (c countingConv) FromConnect(_ string, _ *connect.Schema, v any) ([]byte, error) {
	*c.calls++
	if v == "bad" {
		return nil, errors.New("bad value")
	}
	return []byte(fmt.Sprint(v)), nil
}

// TestConvertPageStopsAtFailureWithoutSideEffectFreeConverters: with a
// converter that may have side effects (a schema registry registers
// schemas), nothing after the first failing record is converted.
func TestConvertPageStopsAtFailureWithoutSideEffectFreeConverters(t *testing.T) {
	calls := 0
	recs := make([]connect.Record, 500)
	for i := range recs {
		recs[i] = connect.Record{Topic: "t", Value: "ok"}
	}
	recs[3].Value = "bad"
	task := &Task{Name: "c", KeyConv: countingConv{&calls}, ValueConv: countingConv{&calls}}
	_, _, _, err := task.convertPage(context.Background(), connectors.Partition{"table": "t"}, nil, recs)
	if err == nil || calls != 4 {
		t.Fatalf("error %v after %d conversions; want the page to fail after converting records 0..3 only", err, calls)
	}
}

// BenchmarkConvertPage converts a 10,000-row page of 200-byte-like rows
// with JsonConverter (schemas.enable=true) on parallel.Workers()
// goroutines ("parallel") and on one ("one goroutine", the converter
// behind opaqueConv); ns/op is per page.
func BenchmarkConvertPage(b *testing.B) {
	schema := connect.NewStructSchema("row",
		connect.Field{Name: "id", Schema: &connect.Schema{Type: connect.Int64}},
		connect.Field{Name: "cust", Schema: &connect.Schema{Type: connect.Int32}},
		connect.Field{Name: "name", Schema: &connect.Schema{Type: connect.String}},
		connect.Field{Name: "note", Schema: &connect.Schema{Type: connect.String}})
	recs := make([]connect.Record, 10_000)
	for i := range recs {
		v := connect.NewStruct(schema)
		v.Values[0], v.Values[1], v.Values[2], v.Values[3] = int64(i), int32(i%977), fmt.Sprintf("customer name %d", i), strings.Repeat("0123456789abcdef", 8)
		recs[i] = connect.Record{Topic: "t", ValueSchema: schema, Value: v, Timestamp: time.UnixMilli(1_700_000_000_000)}
	}
	val, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		conv Converter
	}{{"parallel", val}, {"one goroutine", opaqueConv{val}}} {
		b.Run(c.name, func(b *testing.B) {
			task := &Task{Name: "c", KeyConv: c.conv, ValueConv: c.conv}
			for b.Loop() {
				if _, _, _, err := task.convertPage(context.Background(), connectors.Partition{"table": "t"}, nil, recs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

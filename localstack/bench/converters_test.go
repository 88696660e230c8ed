package main

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func TestConverterFigures(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	s := connect.NewStructSchema("bench.orders",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "amount", Schema: connect.DecimalSchema(2, 12)},
		connect.Field{Name: "at", Schema: connect.TimestampSchema()})
	var recs []connect.Record
	for i := range 50 {
		recs = append(recs, connect.Record{ValueSchema: s, Value: &connect.StructValue{Schema: s,
			Values: []any{int64(i), connect.Decimal{Unscaled: big.NewInt(int64(i * 101)), Scale: 2}, time.UnixMilli(int64(i)).UTC()}}})
	}
	figs, err := converterFigures(recs, "t", "test", reg.URL())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range figs {
		got[f.Name] = f.Value
	}
	json := got["JsonConverter value size test"]
	for _, name := range []string{"AvroConverter", "JsonSchemaConverter", "ProtobufConverter"} {
		if size := got[name+" value size test"]; json == 0 || size == 0 || size >= json {
			t.Errorf("sizes: JsonConverter %.0f B, %s %.0f B; want both set and %s smaller", json, name, size, name)
		}
	}
	for name, v := range got {
		if strings.Contains(name, "side") && v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}
	if len(figs) != 12 {
		t.Errorf("%d figures, want 12", len(figs))
	}
	noReg, err := converterFigures(recs, "t", "test", "")
	if err != nil || len(noReg) != 12 || !strings.Contains(noReg[3].Note, "in-process fake registry") {
		t.Errorf("without a registry: %+v, %v; want every converter measured on the fake registry", noReg, err)
	}
}

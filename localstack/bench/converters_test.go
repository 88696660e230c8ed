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
	json, avro := got["JsonConverter value size test"], got["AvroConverter value size test"]
	if json == 0 || avro == 0 || avro >= json {
		t.Errorf("sizes: JSON %.0f B, Avro %.0f B; want both set and Avro smaller", json, avro)
	}
	for name, v := range got {
		if strings.Contains(name, "side") && v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}
	if len(figs) != 6 {
		t.Errorf("%d figures, want 6", len(figs))
	}
	noReg, err := converterFigures(recs, "t", "test", "")
	if err != nil || len(noReg) != 4 || !strings.Contains(noReg[3].Note, "SLKC_SCHEMA_REGISTRY_URL") {
		t.Errorf("without a registry: %+v, %v; want JSON figures and a note", noReg, err)
	}
}

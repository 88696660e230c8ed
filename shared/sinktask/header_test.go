package sinktask

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
)

// TestHandleHeaderConverter: header.converter reads every header into a
// Connect value before the destination sees the record (here Kafka
// Connect's default, SimpleHeaderConverter), and a header it cannot read
// fails that record alone at stage HEADER_CONVERTER.
func TestHandleHeaderConverter(t *testing.T) {
	r := rec("orders", 0, 1, "a")
	r.Headers = []events.KafkaHeaders{{"n": events.ByteArray("42")}, {"flag": events.ByteArray("true")}, {"s": events.ByteArray("x y")}, {"nil": nil}}
	dest := &fakeDest{}
	task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{}, HeaderConverter: convert.SimpleHeaderConverter{}}
	if _, err := task.Handle(context.Background(), event(r)); err != nil {
		t.Fatal(err)
	}
	want := []connect.Header{
		{Key: "n", Value: []byte("42"), Schema: connect.Primitive(connect.Int8), Data: int8(42)},
		{Key: "flag", Value: []byte("true"), Schema: connect.Primitive(connect.Boolean), Data: true},
		{Key: "s", Value: []byte("x y"), Schema: connect.Primitive(connect.String), Data: "x y"},
		{Key: "nil"},
	}
	if got := dest.calls[0][0].Headers; !reflect.DeepEqual(got, want) {
		t.Errorf("headers %+v\nwant %+v", got, want)
	}

	q := &fakeDLQ{}
	dest = &fakeDest{}
	task = &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{}, Tolerance: ToleranceAll, DLQ: q,
		HeaderConverter: badHeader{}, HeaderConverterClass: "H"}
	if _, err := task.Handle(context.Background(), event(rec("orders", 0, 1, "a"))); err != nil {
		t.Fatal(err)
	}
	if len(dest.calls) != 0 || len(q.got) != 1 || q.got[0].Stage != dlq.StageHeaderConvert || q.got[0].Class != "H" {
		t.Errorf("writes %d, dead letters %+v; want the record dead-lettered at HEADER_CONVERTER by H", len(dest.calls), q.got)
	}
}

type badHeader struct{}

func (badHeader) ToConnectHeader(string, string, []byte) (*connect.Schema, any, error) {
	return nil, nil, errors.New("not JSON")
}

package convert

import (
	"testing"

	"github.com/twmb/avro"
)

// FuzzAvroReadSchema: any schema text from a registry and any data either
// map to Connect or fail with an error; nothing panics.
func FuzzAvroReadSchema(f *testing.F) {
	ws, err := newAvroWriteSchema(avroOrdersSchema())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ws.text, []byte{2, 4, 0})
	f.Add(`{"type":"record","name":"r","fields":[{"name":"u","type":["null","int","string",{"type":"enum","name":"E","symbols":["A"]}]},{"name":"f","type":{"type":"fixed","name":"F","size":2}}]}`, []byte{4, 2, 'x', 1, 2})
	f.Add(`{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"bytes","default":"\u00ff"}]}}`, []byte{2, 2, 0, 0})
	f.Add(`{"type":"bytes","logicalType":"decimal","precision":"x"}`, []byte{})
	f.Add(`{"type":"fixed","size":1}`, []byte{1})
	f.Fuzz(func(t *testing.T, schema string, data []byte) {
		rs, err := newAvroReadSchema(schema)
		if err != nil {
			return
		}
		var generic any
		if _, err := rs.codec.Decode(data, &generic, avro.TaggedUnions()); err != nil {
			return
		}
		_, _ = rs.root.toConnect(generic)
	})
}

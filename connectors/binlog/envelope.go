package binlog

import (
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Version is source.version: this connector's own version (it is not
// Debezium, so it does not claim a Debezium version).
const Version = "slkc-binlog-1"

// snapshotAllowed is the allowed list of source.snapshot (Debezium 3's
// SnapshotRecord values, lower case).
const snapshotAllowed = "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"

func str() *connect.Schema    { return connect.Primitive(connect.String) }
func optStr() *connect.Schema { return connect.Primitive(connect.String).Optionally() }
func i64() *connect.Schema    { return connect.Primitive(connect.Int64) }
func optI64() *connect.Schema { return connect.Primitive(connect.Int64).Optionally() }

// sourceSchema is Debezium's io.debezium.connector.<mysql|mariadb>.Source
// struct: the common fields, then the binlog ones.
func sourceSchema(cfg *Config) *connect.Schema {
	snap := named(connect.String, dbzEnum, map[string]string{"allowed": snapshotAllowed})
	snap.Optional = true
	snap.Default = "false"
	s := connect.NewStructSchema("io.debezium.connector."+cfg.connectorName()+".Source",
		connect.Field{Name: "version", Schema: str()},
		connect.Field{Name: "connector", Schema: str()},
		connect.Field{Name: "name", Schema: str()},
		connect.Field{Name: "ts_ms", Schema: i64()},
		connect.Field{Name: "snapshot", Schema: snap},
		connect.Field{Name: "db", Schema: str()},
		connect.Field{Name: "sequence", Schema: optStr()},
		connect.Field{Name: "ts_us", Schema: optI64()},
		connect.Field{Name: "ts_ns", Schema: optI64()},
		connect.Field{Name: "table", Schema: optStr()},
		connect.Field{Name: "server_id", Schema: i64()},
		connect.Field{Name: "gtid", Schema: optStr()},
		connect.Field{Name: "file", Schema: str()},
		connect.Field{Name: "pos", Schema: i64()},
		connect.Field{Name: "row", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "thread", Schema: optI64()},
		connect.Field{Name: "query", Schema: optStr()},
	)
	s.Version = 1
	return s
}

// transactionSchema is Debezium's optional event.block struct; this
// connector leaves it null (provide.transaction.metadata is not offered).
func transactionSchema() *connect.Schema {
	s := connect.NewStructSchema("event.block",
		connect.Field{Name: "id", Schema: str()},
		connect.Field{Name: "total_order", Schema: i64()},
		connect.Field{Name: "data_collection_order", Schema: i64()},
	)
	s.Version = 1
	s.Optional = true
	return s
}

// envelopeSchema is <prefix>.<db>.<table>.Envelope, version 2 as Debezium 3
// writes it.
func envelopeSchema(name string, value, source *connect.Schema) *connect.Schema {
	s := connect.NewStructSchema(name,
		connect.Field{Name: "before", Schema: value},
		connect.Field{Name: "after", Schema: value},
		connect.Field{Name: "source", Schema: source},
		connect.Field{Name: "transaction", Schema: transactionSchema()},
		connect.Field{Name: "op", Schema: str()},
		connect.Field{Name: "ts_ms", Schema: optI64()},
		connect.Field{Name: "ts_us", Schema: optI64()},
		connect.Field{Name: "ts_ns", Schema: optI64()},
	)
	s.Version = 2
	return s
}

// sourceInfo is what source needs about one row change.
type sourceInfo struct {
	ts       time.Time // event time (binlog header, second precision)
	db, tbl  string
	serverID uint32
	gtid     string
	file     string
	pos      uint32 // start of the rows event (Debezium's source.pos)
	row      int
	thread   int64  // -1 when unknown
	snapshot string // source.snapshot; "" means "false"
}

func (t *table) source(cfg *Config, si sourceInfo) *connect.StructValue {
	s := connect.NewStruct(t.Envelope.Field("source").Schema)
	ms := si.ts.UnixMilli()
	snap := si.snapshot
	if snap == "" {
		snap = "false"
	}
	vals := []any{Version, cfg.connectorName(), cfg.TopicPrefix, ms, snap, si.db, nil,
		ms * 1000, ms * 1_000_000, si.tbl, int64(si.serverID), nil, si.file, int64(si.pos), int32(si.row), nil, nil}
	if si.gtid != "" {
		vals[11] = si.gtid
	}
	if si.tbl == "" {
		vals[9] = nil // a schema change of a whole database
	}
	if si.thread >= 0 {
		vals[15] = si.thread
	}
	copy(s.Values, vals)
	return s
}

// envelope builds the change event value.
func (t *table) envelope(cfg *Config, op string, before, after *connect.StructValue, si sourceInfo, now time.Time) *connect.StructValue {
	e := connect.NewStruct(t.Envelope)
	var b, a any
	if before != nil {
		b = before
	}
	if after != nil {
		a = after
	}
	copy(e.Values, []any{b, a, t.source(cfg, si), nil, op, now.UnixMilli(), now.UnixMicro(), now.UnixNano()})
	return e
}

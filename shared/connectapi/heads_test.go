package connectapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/binlog"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// TestPluginHeads: heads come from the connector's plugin (its own
// validation errors come back), after Resolve; a class without the
// capability is refused, naming the classes that have it. The database (a
// closed port) is never reached.
func TestPluginHeads(t *testing.T) {
	src := Connector{Name: "src", Class: mysql.SourceClass, Config: map[string]string{"connector.class": mysql.SourceClass,
		"connection.url": "jdbc:mysql://127.0.0.1:1/db", "mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "orders"}}
	for _, tc := range []struct {
		name    string
		c       Connector
		resolve func(ctx context.Context, props map[string]string) (map[string]string, error)
		want    string
	}{
		{"plugin validates", src, nil, "want database.table"},
		{"resolved config", src, func(ctx context.Context, props map[string]string) (map[string]string, error) {
			return nil, errors.New("no such secret")
		}, "resolving the config of src: no such secret"},
		{"sink class", Connector{Name: "x", Class: mysql.SinkClass}, nil, "reads table heads of " + mysql.SourceClass + " only"},
		{"source without heads", Connector{Name: "b", Class: binlog.MySQLClass}, nil, "reads table heads of " + mysql.SourceClass + " only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &PluginHeads{Resolve: tc.resolve}
			defer m.Close()
			_, err := m.Head(context.Background(), tc.c, connectors.Partition{"protocol": "1", "table": "orders"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Head = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestBehindNeedsThePluginsPositions: the gap is computed only for a
// class whose plugin reads its positions (Plugin.PositionHead).
func TestBehindNeedsThePluginsPositions(t *testing.T) {
	inc := int64(42)
	h := Head{Incrementing: &inc}
	if b := behind(Connector{Class: mysql.SourceClass}, h, []byte(`{"incrementing":40}`)); b == nil || *b.Incrementing != 2 {
		t.Errorf("behind(mysql) = %+v, want incrementing 2", b)
	}
	if b := behind(Connector{Class: binlog.MySQLClass}, h, []byte(`{"file":"x"}`)); b != nil {
		t.Errorf("behind(binlog) = %+v, want none", b)
	}
}

// TestFromFileTopics: a source's topics come from its plugin
// (Plugin.Topics); a plugin that does not declare them (the binlog source
// finds its tables at run time) lists none; a sink lists its topics.
func TestFromFileTopics(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want string
	}{
		{"jdbc source", map[string]string{"connector.class": mysql.SourceClass, "topic.prefix": "demo.", "table.whitelist": "orders,db.items"}, "demo.orders,demo.items"},
		{"binlog source", map[string]string{"connector.class": binlog.MariaDBClass, "topic.prefix": "shop", "table.whitelist": "orders"}, ""},
		{"sink", map[string]string{"connector.class": mysql.SinkClass, "topics": "a, b"}, "a,b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromFile(&config.File{Name: "c", Config: tc.cfg}, "fn")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(c.Topics, ","); got != tc.want {
				t.Errorf("Topics = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCheckSourceOffsetAsksThePlugin: partitions and offsets are checked
// by the connector's plugin; a source whose plugin has no offset format
// (the binlog source) is refused, even for a reset.
func TestCheckSourceOffsetAsksThePlugin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		class  string
		p      connectors.Partition
		offset string
		want   string // "" = accepted
	}{
		{"jdbc table", mysql.SourceClass, connectors.Partition{"protocol": "1", "table": "shop.orders"}, `{"incrementing":3}`, ""},
		{"jdbc partition", mysql.SourceClass, connectors.Partition{"protocol": "1", "table": "orders"}, `{"incrementing":3}`, `partition.table "orders"`},
		{"jdbc offset", mysql.SourceClass, connectors.Partition{"query": "query"}, `{"incremental":3}`, "offset: "},
		{"binlog reset", binlog.MySQLClass, connectors.Partition{"server": "shop"}, "", "offset: connector class " + binlog.MySQLClass + " has no offset format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var offset []byte
			if tc.offset != "" {
				offset = []byte(tc.offset)
			}
			_, err := checkSourceOffset(Connector{Name: "c", Class: tc.class}, tc.p, offset)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("checkSourceOffset = %v, want %q", err, tc.want)
			}
		})
	}
}

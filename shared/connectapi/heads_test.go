package connectapi

import (
	"context"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
)

// TestHeadRefusesBadNamesBeforeAnySQL: names from offsets and config are
// validated before a query is built; the database (a closed port here) is
// never reached for them.
func TestHeadRefusesBadNamesBeforeAnySQL(t *testing.T) {
	src := func(extra map[string]string) Connector {
		cfg := map[string]string{"connector.class": mysql.SourceClass, "connection.url": "jdbc:mysql://127.0.0.1:1/db",
			"mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "orders"}
		for k, v := range extra {
			cfg[k] = v
		}
		return Connector{Name: "src", Class: mysql.SourceClass, Config: cfg}
	}
	for _, tc := range []struct {
		name  string
		c     Connector
		table string
		want  string
	}{
		{"backquote in the table", src(nil), "db.ord`ers", "identifier"},
		{"unqualified table", src(nil), "orders", "want database.table"},
		{"semicolon in the column", src(map[string]string{"incrementing.column.name": "id;drop"}), "db.orders", "incrementing.column.name"},
		{"bulk mode", src(map[string]string{"mode": "bulk"}), "db.orders", "mode bulk has no position"},
		{"another class", Connector{Name: "x", Class: mysql.SinkClass}, "db.orders", "reads table heads of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &MySQLHeads{}
			defer m.Close()
			_, err := m.Head(context.Background(), tc.c, tc.table)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Head = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

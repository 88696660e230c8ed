package mysql

import (
	"context"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// TestHeadRefusesBadNamesBeforeAnySQL: names from offsets and config are
// validated (by the source's config or here) before a query is built; the
// database (a closed port here) is never reached for them, and good names
// are quoted.
func TestHeadRefusesBadNamesBeforeAnySQL(t *testing.T) {
	props := func(extra map[string]string) map[string]string {
		cfg := map[string]string{"connection.url": "jdbc:mysql://127.0.0.1:1/db",
			"mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "orders"}
		for k, v := range extra {
			cfg[k] = v
		}
		return cfg
	}
	for _, tc := range []struct {
		name    string
		props   map[string]string
		table   string
		want    string // error
		wantSQL string // or query
	}{
		{"backquote in the table", props(nil), "db.ord`ers", "identifier", ""},
		{"unqualified table", props(nil), "orders", "want database.table", ""},
		{"semicolon in the column", props(map[string]string{"incrementing.column.name": "id;drop"}), "db.orders", "incrementing.column.name", ""},
		{"bulk mode", props(map[string]string{"mode": "bulk"}), "db.orders", "mode bulk has no position", ""},
		{"incrementing", props(nil), "db.orders", "", "SELECT MAX(`id`), NULL FROM `db`.`orders`"},
		{"timestamp columns", props(map[string]string{"mode": "timestamp", "timestamp.column.name": "a,b"}), "db.orders", "",
			"SELECT NULL, MAX(COALESCE(`a`, `b`)) FROM `db`.`orders`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hr, err := OpenHeads(tc.props)
			if err != nil { // the source's config refuses it first
				if tc.want == "" || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("OpenHeads = %v, want an error with %q", err, tc.want)
				}
				return
			}
			defer hr.Close()
			q, err := hr.(*headReader).headQuery(context.Background(), tc.table)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("headQuery = %q, %v, want an error with %q", q, err, tc.want)
				}
				if _, err := hr.Head(context.Background(), connectors.Partition{"protocol": "1", "table": tc.table}); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Head = %v, want an error with %q", err, tc.want)
				}
				return
			}
			if err != nil || q != tc.wantSQL {
				t.Errorf("headQuery = %q, %v, want %q", q, err, tc.wantSQL)
			}
		})
	}
}

// TestHeadOfAPartitionWithoutATable: the query partition has no table to
// compare with, and a partition not of this source is refused, both
// before any SQL.
func TestHeadOfAPartitionWithoutATable(t *testing.T) {
	hr, err := OpenHeads(map[string]string{"connection.url": "jdbc:mysql://127.0.0.1:1/db", "mode": "incrementing", "incrementing.column.name": "id", "query": "SELECT 1", "topic.prefix": "q"})
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Close()
	for _, tc := range []struct {
		name string
		p    connectors.Partition
		want string
	}{
		{"query", QueryPartition(), "query mode: no table to compare with"},
		{"binlog server", connectors.Partition{"server": "shop"}, `partition {"server":"shop"}: want {"protocol":"1","table":"database.table"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := hr.Head(context.Background(), tc.p); err == nil || err.Error() != tc.want {
				t.Errorf("Head = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestOpenHeadsRefusesABadConfig: the reader is built from the source's
// own config and refuses what the source refuses, naming the key.
func TestOpenHeadsRefusesABadConfig(t *testing.T) {
	_, err := OpenHeads(map[string]string{"connection.url": "jdbc:mysql://127.0.0.1:1/db", "mode": "sideways"})
	if err == nil || !strings.Contains(err.Error(), "mode") {
		t.Errorf("OpenHeads = %v, want an error naming mode", err)
	}
}

// TestPositionHead: the gap's other side is the position's incrementing
// and timestamp fields; a bad position is an error.
func TestPositionHead(t *testing.T) {
	h, err := SourcePlugin.PositionHead([]byte(`{"incrementing":40,"timestamp":1000,"timestamp_nanos":5}`))
	if err != nil || h.Incrementing == nil || *h.Incrementing != 40 || h.Timestamp == nil || *h.Timestamp != 1000 {
		t.Errorf("PositionHead = %+v, %v, want incrementing 40, timestamp 1000", h, err)
	}
	if _, err := SourcePlugin.PositionHead([]byte(`{"incrementin":40}`)); err == nil {
		t.Error("PositionHead accepted an unknown field")
	}
}

// TestSourceTopics: the topics the control API lists for a source are the
// ones the source writes: topic.prefix and the table name, without its
// database; topic.prefix alone in query mode; none when the tables are
// found in the database.
func TestSourceTopics(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"whitelist", map[string]string{"topic.prefix": "demo.", "table.whitelist": "orders, shop.items"}, "demo.orders,demo.items"},
		{"include list alias", map[string]string{"topic.prefix": "p-", "table.include.list": "a"}, "p-a"},
		{"query", map[string]string{"topic.prefix": "q", "query": "SELECT 1"}, "q"},
		{"every table", map[string]string{"topic.prefix": "p-"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(SourcePlugin.Topics(tc.props), ","); got != tc.want {
				t.Errorf("Topics = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCheckPartition: a PATCH offsets partition must be one the source
// writes; the error names the field.
func TestCheckPartition(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    connectors.Partition
		want string // "" = accepted
	}{
		{"table", TablePartition("shop", "orders"), ""},
		{"query", QueryPartition(), ""},
		{"unqualified table", connectors.Partition{"protocol": "1", "table": "orders"}, `partition.table "orders": want "database.table"`},
		{"other protocol", connectors.Partition{"protocol": "0", "table": "shop.orders"}, `partition {"protocol":"0","table":"shop.orders"}: want`},
		{"extra key", connectors.Partition{"query": "query", "x": "y"}, "partition "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := SourcePlugin.CheckPartition(tc.p)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tc.want)) {
				t.Errorf("CheckPartition = %v, want %q", err, tc.want)
			}
		})
	}
}

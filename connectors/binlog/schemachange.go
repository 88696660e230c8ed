package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// Schema change events (include.schema.changes=true), in the shape of
// Debezium's: one event per DDL statement of a captured database, on the
// topic named topic.prefix, key <connector>.SchemaChangeKey{databaseName},
// value <connector>.SchemaChangeValue{source, ts_ms, databaseName,
// schemaName, ddl, tableChanges}. tableChanges names the table a CREATE,
// ALTER or DROP TABLE (or CREATE/DROP INDEX) changes, with the table's
// columns read from information_schema when the event is read (Debezium
// parses them from the DDL text; see the README for what differs).

func schemaChangeKeySchema(cfg *Config) *connect.Schema {
	s := connect.NewStructSchema("io.debezium.connector."+cfg.connectorName()+".SchemaChangeKey",
		connect.Field{Name: "databaseName", Schema: str()})
	s.Version = 1
	return s
}

func strArray() *connect.Schema {
	return &connect.Schema{Type: connect.Array, Items: str(), Optional: true}
}

func optInt32() *connect.Schema { return connect.Primitive(connect.Int32).Optionally() }
func optBool() *connect.Schema  { return connect.Primitive(connect.Boolean).Optionally() }

func schemaColumnSchema() *connect.Schema {
	s := connect.NewStructSchema("io.debezium.connector.schema.Column",
		connect.Field{Name: "name", Schema: str()},
		connect.Field{Name: "jdbcType", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "nativeType", Schema: optInt32()},
		connect.Field{Name: "typeName", Schema: str()},
		connect.Field{Name: "typeExpression", Schema: optStr()},
		connect.Field{Name: "charsetName", Schema: optStr()},
		connect.Field{Name: "length", Schema: optInt32()},
		connect.Field{Name: "scale", Schema: optInt32()},
		connect.Field{Name: "position", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "optional", Schema: optBool()},
		connect.Field{Name: "autoIncremented", Schema: optBool()},
		connect.Field{Name: "generated", Schema: optBool()},
		connect.Field{Name: "comment", Schema: optStr()},
		connect.Field{Name: "defaultValueExpression", Schema: optStr()},
		connect.Field{Name: "enumValues", Schema: strArray()},
	)
	s.Version = 1
	return s
}

func schemaTableSchema() *connect.Schema {
	s := connect.NewStructSchema("io.debezium.connector.schema.Table",
		connect.Field{Name: "defaultCharsetName", Schema: optStr()},
		connect.Field{Name: "primaryKeyColumnNames", Schema: strArray()},
		connect.Field{Name: "columns", Schema: &connect.Schema{Type: connect.Array, Items: schemaColumnSchema()}},
		connect.Field{Name: "comment", Schema: optStr()},
	)
	s.Version = 1
	s.Optional = true
	return s
}

func schemaChangeSchema() *connect.Schema {
	s := connect.NewStructSchema("io.debezium.connector.schema.Change",
		connect.Field{Name: "type", Schema: str()},
		connect.Field{Name: "id", Schema: str()},
		connect.Field{Name: "table", Schema: schemaTableSchema()},
	)
	s.Version = 1
	return s
}

func schemaChangeValueSchema(cfg *Config) *connect.Schema {
	s := connect.NewStructSchema("io.debezium.connector."+cfg.connectorName()+".SchemaChangeValue",
		connect.Field{Name: "source", Schema: sourceSchema(cfg)},
		connect.Field{Name: "ts_ms", Schema: i64()},
		connect.Field{Name: "databaseName", Schema: optStr()},
		connect.Field{Name: "schemaName", Schema: optStr()},
		connect.Field{Name: "ddl", Schema: optStr()},
		connect.Field{Name: "tableChanges", Schema: &connect.Schema{Type: connect.Array, Items: schemaChangeSchema()}},
	)
	s.Version = 1
	return s
}

var (
	ddlKind         = regexp.MustCompile(`(?is)^\s*(CREATE|ALTER|DROP)\b(?:\s+OR\s+REPLACE)?(?:\s+(?:ONLINE|IGNORE))*\s+TABLE\b`)
	ddlTemporary    = regexp.MustCompile(`(?is)^\s*(?:CREATE|DROP)\s+(?:OR\s+REPLACE\s+)?TEMPORARY\b`)
	ddlNoEvent      = regexp.MustCompile(`(?is)^\s*TRUNCATE\b`)
	ddlDropIfExists = regexp.MustCompile(`(?is)^\s*DROP\s+TABLE\s+IF\s+EXISTS\b`)
	ddlRename       = regexp.MustCompile(`(?is)^\s*RENAME\s+TABLE\b`)
)

// schemaChange adds the schema change event of one DDL statement to the
// open transaction, when its database is captured (and, for a statement
// naming tables, one of them is).
func (r *pageReader) schemaChange(ctx context.Context, h *replication.EventHeader, e *replication.QueryEvent, ddl string) error {
	defaultDB := string(e.Schema)
	q := strings.TrimSpace(ddlComments.ReplaceAllString(ddl, " "))
	if ddlTemporary.MatchString(q) || ddlNoEvent.MatchString(q) || ddlIndexOn.MatchString(q) {
		// Temporary tables, TRUNCATE and index DDL change no table's
		// columns: Debezium sends no event for them.
		return nil
	}
	tables, dbs, _ := ddlTargets(ddl, defaultDB)
	db := defaultDB
	switch {
	case len(tables) > 0:
		db, _, _ = strings.Cut(tables[0], ".")
	case len(dbs) > 0:
		db = dbs[0]
	default:
		if m := regexp.MustCompile("(?is)^\\s*CREATE\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(`[^`]+`|\\w+)").FindStringSubmatch(q); m != nil {
			db = unquote(m[1])
		}
	}
	if db == "" || !r.s.cfg.CapturesDatabase(db) {
		return nil
	}
	captured := len(tables) == 0
	for _, t := range tables {
		d, n, _ := strings.Cut(t, ".")
		captured = captured || r.s.cfg.CapturesTable(d, n)
	}
	if !captured {
		return nil
	}
	changeSchema := schemaChangeSchema()
	var changes []any
	kind, changed := "", tables
	if m := ddlKind.FindStringSubmatch(q); m != nil {
		kind = strings.ToUpper(m[1])
	} else if ddlRename.MatchString(q) {
		// RENAME TABLE a TO b, c TO d: Debezium's change is an ALTER of
		// each new name.
		kind, changed = "ALTER", nil
		for i := 1; i < len(tables); i += 2 {
			changed = append(changed, tables[i])
		}
	}
	if kind != "" {
		for _, t := range changed {
			d, n, _ := strings.Cut(t, ".")
			c := connect.NewStruct(changeSchema)
			c.Values[0], c.Values[1] = kind, `"`+d+`"."`+n+`"`
			if kind != "DROP" {
				tv, err := describeTable(ctx, r.s.db, r.s.mariadb, schemaTableSchema(), d, n)
				if err != nil {
					return errclass.Permanent(err)
				}
				if tv != nil {
					c.Values[2] = tv
				}
			}
			changes = append(changes, c)
		}
	}
	if !r.cur.open {
		r.begin(h, "", false)
	}
	tbl := ""
	switch {
	case len(changed) > 0:
		_, tbl, _ = strings.Cut(changed[0], ".")
	case len(tables) > 0:
		_, tbl, _ = strings.Cut(tables[0], ".")
	}
	if kind != "DROP" {
		if changes == nil {
			changes = []any{}
		}
		r.addSchemaChange(h, db, tbl, ddl, changes)
		return nil
	}
	// Debezium sends one event per dropped table, with the statement
	// written for that table alone.
	ifExists := ""
	if ddlDropIfExists.MatchString(q) {
		ifExists = "IF EXISTS "
	}
	for i, t := range changed {
		d, n, _ := strings.Cut(t, ".")
		r.addSchemaChange(h, d, n, "DROP TABLE "+ifExists+quoteIdent(d)+"."+quoteIdent(n), []any{changes[i]})
	}
	return nil
}

// addSchemaChange appends one schema change event to the open
// transaction.
func (r *pageReader) addSchemaChange(h *replication.EventHeader, db, tbl, ddl string, changes []any) {
	cfg := &r.s.cfg
	vs := schemaChangeValueSchema(cfg)
	holder := &table{Envelope: vs}
	si := sourceInfo{ts: time.Unix(int64(h.Timestamp), 0), db: db, tbl: tbl, serverID: h.ServerID,
		gtid: r.cur.gtid, file: r.file, pos: h.LogPos - h.EventSize, thread: r.cur.thread}
	now := r.s.now()
	v := connect.NewStruct(vs)
	copy(v.Values, []any{holder.source(cfg, si), now.UnixMilli(), db, nil, ddl, changes})
	ks := schemaChangeKeySchema(cfg)
	k := connect.NewStruct(ks)
	k.Values[0] = db
	r.records = append(r.records, connect.Record{Topic: topicName(cfg.TopicPrefix), KeySchema: ks, Key: k, ValueSchema: vs, Value: v})
}

// describeTable reads db.name's columns for tableChanges; nil when the
// table is gone by now.
func describeTable(ctx context.Context, db *sql.DB, mariadb bool, ts *connect.Schema, dbName, name string) (*connect.StructValue, error) {
	var charset sql.NullString
	err := db.QueryRowContext(ctx, `SELECT CCSA.CHARACTER_SET_NAME FROM information_schema.TABLES T
		JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA ON CCSA.COLLATION_NAME = T.TABLE_COLLATION
		WHERE T.TABLE_SCHEMA = ? AND T.TABLE_NAME = ?`, dbName, name).Scan(&charset)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("binlog: describe %s.%s: %w", dbName, name, err)
	}
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, LOWER(DATA_TYPE), LOWER(COLUMN_TYPE), IS_NULLABLE, COLUMN_KEY, LOWER(EXTRA),
		CHARACTER_SET_NAME, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, COLUMN_DEFAULT, COLUMN_COMMENT, ORDINAL_POSITION
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, dbName, name)
	if err != nil {
		return nil, fmt.Errorf("binlog: describe %s.%s: %w", dbName, name, err)
	}
	defer rows.Close()
	colSchema := ts.Field("columns").Schema.Items
	var cols, pk []any
	for rows.Next() {
		var cname, dataType, colType, nullable, key, extra, comment string
		var cs, def sql.NullString
		var charLen, prec, scale, fsp sql.NullInt64
		var ordinal int32
		if err := rows.Scan(&cname, &dataType, &colType, &nullable, &key, &extra, &cs, &charLen, &prec, &scale, &fsp, &def, &comment, &ordinal); err != nil {
			return nil, fmt.Errorf("binlog: describe %s.%s: %w", dbName, name, err)
		}
		c := &column{Name: cname, DataType: dataType, Type: colType, Nullable: nullable == "YES", Unsigned: strings.Contains(colType, "unsigned")}
		typeName := strings.ToUpper(dataType)
		if c.Unsigned {
			typeName += " UNSIGNED"
		}
		var length, sc any
		switch {
		case charLen.Valid && dataType != "enum" && dataType != "set" && !strings.HasSuffix(dataType, "text") && !strings.HasSuffix(dataType, "blob"):
			length = int32(charLen.Int64)
		case dataType == "decimal" || dataType == "numeric":
			length, sc = int32(prec.Int64), int32(scale.Int64)
		case dataType == "bit":
			length = int32(bitLength(colType))
		case fsp.Valid && fsp.Int64 > 0:
			length = int32(fsp.Int64)
		}
		var enums any
		if dataType == "enum" || dataType == "set" {
			// Debezium's length: the longest member (ENUM), all members
			// joined by commas (SET).
			var vals []any
			members := enumValues(colType)
			n := len(strings.Join(members, ","))
			for _, m := range members {
				vals = append(vals, "'"+strings.ReplaceAll(m, "'", "''")+"'")
			}
			if dataType == "enum" {
				n = 0
				for _, m := range members {
					n = max(n, len(m))
				}
			}
			enums, length = vals, int32(n)
		}
		var charset any
		if cs.Valid && cs.String != "binary" {
			charset = cs.String
		}
		var defExpr any
		if d := columnDefault(c, def, extra, mariadb); d != nil {
			defExpr = *d
			if dataType == "bit" {
				defExpr = strings.TrimSuffix(strings.TrimPrefix(*d, "b'"), "'")
			}
		} else if def.Valid && strings.HasPrefix(strings.ToLower(def.String), "current_timestamp") {
			defExpr = "1970-01-01 00:00:00" // Debezium's, for every CURRENT_TIMESTAMP default
		}
		var cmt any
		if comment != "" {
			cmt = comment
		}
		cv := connect.NewStruct(colSchema)
		copy(cv.Values, []any{cname, jdbcType(dataType, colType), nil, typeName, typeName, charset, length, sc, ordinal,
			c.Nullable, strings.Contains(extra, "auto_increment"), strings.Contains(extra, "generated") && !strings.Contains(extra, "default_generated"),
			cmt, defExpr, enums})
		cols = append(cols, cv)
		if key == "PRI" {
			pk = append(pk, cname)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("binlog: describe %s.%s: %w", dbName, name, err)
	}
	if pk == nil {
		pk = []any{}
	}
	tv := connect.NewStruct(ts)
	var dcs any
	if charset.Valid {
		dcs = charset.String
	}
	copy(tv.Values, []any{dcs, pk, cols, nil})
	return tv, nil
}

// jdbcType is java.sql.Types of a column type, as Debezium's MySQL DDL
// parser resolves it.
func jdbcType(dataType, colType string) int32 {
	switch dataType {
	case "bit":
		return -7
	case "tinyint":
		if colType == "tinyint(1)" {
			return 16 // BOOLEAN (a TINYINT(1) declared as such reads as SMALLINT in Debezium)
		}
		return 5
	case "smallint":
		return 5
	case "mediumint", "int", "integer", "year":
		return 4
	case "bigint":
		return -5
	case "float":
		return 6
	case "double", "real":
		return 8
	case "decimal":
		return 3
	case "numeric":
		return 2
	case "char", "enum", "set":
		return 1
	case "varchar", "tinytext", "text", "mediumtext", "longtext":
		return 12
	case "binary":
		return -2
	case "varbinary":
		return -3
	case "tinyblob", "blob", "mediumblob", "longblob":
		return 2004
	case "date":
		return 91
	case "time":
		return 92
	case "datetime":
		return 93
	case "timestamp":
		return 2014
	}
	return 1111 // OTHER
}

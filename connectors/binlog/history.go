package binlog

import (
	"fmt"
	"regexp"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// Schema history.
//
// The binlog carries row values without column names or SQL types
// (binlog_row_metadata=NO_LOG is MariaDB's default), so decoding needs the
// table's shape as it was when the event was written. The shapes of the
// tables seen so far travel inside the stored offset (Position.Tables), so
// they are committed together with the position they are valid at: a cold
// start decodes the events after the committed position with the shapes of
// that position, not with today's information_schema. A DDL statement
// drops the shapes of the tables it names; they are read again from
// information_schema when the next row event for them arrives. That read
// reflects the table as it is when the connector reads, so two DDL
// statements on one table that are both still unread leave the rows
// between them with the newer shape: the binlog's column types are checked
// against the shape for every rows event, and a mismatch stops the
// connector with a permanent error instead of decoding wrongly.

// shape is the persisted part of a table: its columns as information_schema
// described them.
type shape struct {
	Columns []*column `json:"columns"`
}

// shapes returns the persisted form of the cached tables. The map is
// shared by every boundary until the cache changes (tablesChanged), as
// most transactions change no table shape.
func (s *Source) shapes() map[string]*shape {
	if s.shapeMap != nil || len(s.tables) == 0 {
		return s.shapeMap
	}
	out := make(map[string]*shape, len(s.tables))
	for k, t := range s.tables {
		out[k] = &shape{Columns: t.Columns}
	}
	s.shapeMap = out
	return out
}

// tablesChanged drops the shared shapes map after the cache changed.
func (s *Source) tablesChanged() { s.shapeMap = nil }

// restore replaces the cached tables with the shapes stored in pos.
func (s *Source) restore(pos Position) error {
	s.tables = map[string]*table{}
	s.tablesChanged()
	for k, sh := range pos.Tables {
		db, name, ok := strings.Cut(k, ".")
		if !ok || len(sh.Columns) == 0 {
			return fmt.Errorf("binlog: stored offset has a malformed table shape %q", k)
		}
		t, err := newTable(&s.cfg, db, name, sh.Columns)
		if err != nil {
			return err
		}
		s.tables[k] = t
	}
	return nil
}

// ddlTables matches the statements whose target tables can be named:
// ALTER/CREATE/DROP/TRUNCATE TABLE ... name, RENAME TABLE a TO b, and
// CREATE/DROP INDEX ... ON name.
var (
	ddlComments  = regexp.MustCompile(`(?s)/\*.*?\*/`)
	ddlTableList = regexp.MustCompile(`(?is)^\s*(?:ALTER(?:\s+ONLINE)?(?:\s+IGNORE)?|CREATE(?:\s+OR\s+REPLACE)?(?:\s+TEMPORARY)?|DROP(?:\s+TEMPORARY)?|TRUNCATE|RENAME)\s+TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)$`)
	ddlIndexOn   = regexp.MustCompile("(?is)^\\s*(?:CREATE|DROP)\\b.*?\\bINDEX\\b.*?\\bON\\s+((?:`[^`]+`|\\w+)(?:\\s*\\.\\s*(?:`[^`]+`|\\w+))?)")
	ddlIdent     = regexp.MustCompile("^\\s*((?:`(?:[^`]|``)+`|[\\w$]+)(?:\\s*\\.\\s*(?:`(?:[^`]|``)+`|[\\w$]+))?)")
	ddlDatabase  = regexp.MustCompile("(?is)^\\s*DROP\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+EXISTS\\s+)?(`[^`]+`|\\w+)")
	// ddlNoShape matches statements that cannot change a table's columns.
	ddlNoShape = regexp.MustCompile(`(?is)^\s*(?:CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=\s*\S+\s+)?(?:SQL\s+SECURITY\s+\w+\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?(?:DATABASE|SCHEMA|USER|ROLE|VIEW|TRIGGER|PROCEDURE|FUNCTION|EVENT|SERVER|SEQUENCE)\b`)
)

// ddlTargets returns the "db.table" names a DDL statement changes, with
// defaultDB for unqualified names; all is true when it cannot tell (every
// cached shape must then be dropped). dbs lists databases dropped whole.
func ddlTargets(ddl, defaultDB string) (tables []string, dbs []string, all bool) {
	q := strings.TrimSpace(ddlComments.ReplaceAllString(ddl, " "))
	if m := ddlDatabase.FindStringSubmatch(q); m != nil {
		return nil, []string{unquote(m[1])}, false
	}
	if ddlNoShape.MatchString(q) {
		return nil, nil, false
	}
	if m := ddlIndexOn.FindStringSubmatch(q); m != nil {
		return []string{qualify(m[1], defaultDB)}, nil, false
	}
	m := ddlTableList.FindStringSubmatch(q)
	if m == nil {
		return nil, nil, true
	}
	rest := m[1]
	rename := strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "RENAME")
	multi := rename || strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "DROP")
	for {
		im := ddlIdent.FindStringSubmatchIndex(rest)
		if im == nil {
			break
		}
		tables = append(tables, qualify(rest[im[2]:im[3]], defaultDB))
		rest = strings.TrimSpace(rest[im[1]:])
		if !multi {
			break
		}
		switch {
		case rename && len(rest) >= 2 && strings.EqualFold(rest[:2], "TO"):
			rest = rest[2:]
		case strings.HasPrefix(rest, ","):
			rest = rest[1:]
		default:
			return tables, nil, len(tables) == 0
		}
	}
	return tables, nil, len(tables) == 0
}

func unquote(id string) string {
	id = strings.TrimSpace(id)
	if strings.HasPrefix(id, "`") && strings.HasSuffix(id, "`") && len(id) >= 2 {
		return strings.ReplaceAll(id[1:len(id)-1], "``", "`")
	}
	return id
}

// qualify turns `db`.`t` or t into "db.t".
func qualify(name, defaultDB string) string {
	parts := splitQualified(name)
	if len(parts) == 2 {
		return parts[0] + "." + parts[1]
	}
	return defaultDB + "." + parts[0]
}

func splitQualified(name string) []string {
	var parts []string
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '`':
			if inQuote && i+1 < len(name) && name[i+1] == '`' {
				b.WriteByte('`')
				i++
				continue
			}
			inQuote = !inQuote
		case c == '.' && !inQuote:
			parts = append(parts, strings.TrimSpace(b.String()))
			b.Reset()
		case (c == ' ' || c == '\t' || c == '\n') && !inQuote:
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, strings.TrimSpace(b.String()))
}

// invalidate drops the cached shapes a DDL statement may have changed.
func (s *Source) invalidate(defaultDB, ddl string) {
	tables, dbs, all := ddlTargets(ddl, defaultDB)
	s.tablesChanged()
	switch {
	case all:
		clear(s.tables)
	default:
		for _, k := range tables {
			for key := range s.tables {
				if strings.EqualFold(key, k) {
					delete(s.tables, key)
				}
			}
		}
		for _, db := range dbs {
			for key := range s.tables {
				if strings.HasPrefix(strings.ToLower(key), strings.ToLower(db)+".") {
					delete(s.tables, key)
				}
			}
		}
	}
	s.log.Debug("schema change: table shapes dropped", "db", defaultDB, "tables", tables, "databases", dbs, "all", all, "ddl", truncate(ddl, 200))
}

// binlogTypes lists the binlog column type codes a column of the given
// information_schema DATA_TYPE may have (older and newer encodings).
func binlogTypes(c *column) []byte {
	switch c.DataType {
	case "tinyint":
		return []byte{gomysql.MYSQL_TYPE_TINY}
	case "smallint":
		return []byte{gomysql.MYSQL_TYPE_SHORT}
	case "mediumint":
		return []byte{gomysql.MYSQL_TYPE_INT24}
	case "int", "integer":
		return []byte{gomysql.MYSQL_TYPE_LONG}
	case "bigint":
		return []byte{gomysql.MYSQL_TYPE_LONGLONG}
	case "float":
		return []byte{gomysql.MYSQL_TYPE_FLOAT}
	case "double", "real":
		return []byte{gomysql.MYSQL_TYPE_DOUBLE}
	case "decimal", "numeric":
		return []byte{gomysql.MYSQL_TYPE_NEWDECIMAL}
	case "bit":
		return []byte{gomysql.MYSQL_TYPE_BIT}
	case "char", "binary", "enum", "set":
		return []byte{gomysql.MYSQL_TYPE_STRING}
	case "varchar", "varbinary":
		return []byte{gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING}
	case "tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob", "longblob":
		return []byte{gomysql.MYSQL_TYPE_BLOB}
	case "json":
		return []byte{gomysql.MYSQL_TYPE_JSON, gomysql.MYSQL_TYPE_BLOB}
	case "date":
		return []byte{gomysql.MYSQL_TYPE_DATE, gomysql.MYSQL_TYPE_NEWDATE}
	case "time":
		return []byte{gomysql.MYSQL_TYPE_TIME, gomysql.MYSQL_TYPE_TIME2}
	case "datetime":
		return []byte{gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_DATETIME2}
	case "timestamp":
		return []byte{gomysql.MYSQL_TYPE_TIMESTAMP, gomysql.MYSQL_TYPE_TIMESTAMP2}
	case "year":
		return []byte{gomysql.MYSQL_TYPE_YEAR}
	}
	return nil
}

// checkShape compares a rows event's column types with the table's shape.
func (t *table) checkShape(types []byte) error {
	if len(types) != len(t.Columns) {
		return fmt.Errorf("binlog: %s.%s: the binlog event has %d columns but the known shape has %d (%s): "+
			"the table changed more than once since the connector's position; see \"Change data capture\" in the README",
			t.DB, t.Name, len(types), len(t.Columns), t.columnList())
	}
	for i, c := range t.Columns {
		ok := false
		for _, bt := range binlogTypes(c) {
			if types[i] == bt {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("binlog: %s.%s column %d (%s %s): the binlog event has type code %d: "+
				"the table changed more than once since the connector's position; see \"Change data capture\" in the README",
				t.DB, t.Name, i+1, c.Name, c.Type, types[i])
		}
	}
	return nil
}

func (t *table) columnList() string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

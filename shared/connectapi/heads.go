package connectapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
)

// MySQLHeads reads MySQL source tables' heads (MAX of the incrementing
// column and of the timestamp columns) with the connector's own connection
// settings. Resolve turns the config's ${env:...} and ${secretsmanager:...}
// references into values, with the providers of the place it runs. A
// connector's database handle is opened on first use and kept; Close
// closes them all.
type MySQLHeads struct {
	Resolve func(ctx context.Context, props map[string]string) (map[string]string, error)

	mu      sync.Mutex
	sources map[string]headSource
}

type headSource struct {
	db  *sql.DB
	cfg mysql.SourceConfig
}

var _ Heads = (*MySQLHeads)(nil)

// source returns the connector's parsed config and database handle.
func (m *MySQLHeads) source(ctx context.Context, c Connector) (headSource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if hs, ok := m.sources[c.Name]; ok {
		return hs, nil
	}
	if p, err := connectors.Lookup(c.Class); err != nil || p.Class != mysql.SourceClass {
		return headSource{}, fmt.Errorf("connector class %s: the control plane reads table heads of %s only", c.Class, mysql.SourceClass)
	}
	props := c.Config
	if m.Resolve != nil {
		var err error
		if props, err = m.Resolve(ctx, c.Config); err != nil {
			return headSource{}, fmt.Errorf("resolving the config of %s: %w", c.Name, err)
		}
	}
	cfg, err := mysql.ParseSourceConfig(props)
	if err != nil {
		return headSource{}, err
	}
	dc, err := cfg.Conn.DriverConfig()
	if err != nil {
		return headSource{}, err
	}
	conn, err := gomysql.NewConnector(dc)
	if err != nil {
		return headSource{}, fmt.Errorf("connector %s: %w", c.Name, err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(2)
	if m.sources == nil {
		m.sources = map[string]headSource{}
	}
	hs := headSource{db: db, cfg: cfg}
	m.sources[c.Name] = hs
	return hs, nil
}

// Head reads table's head. table is "database.table"; each part is
// validated and quoted, as are the column names from the config.
func (m *MySQLHeads) Head(ctx context.Context, c Connector, table string) (Head, error) {
	hs, err := m.source(ctx, c)
	if err != nil {
		return Head{}, err
	}
	db, name, ok := strings.Cut(table, ".")
	if !ok {
		return Head{}, fmt.Errorf("partition table %q: want database.table", table)
	}
	qtable, err := mysql.QuoteQualified(table)
	if err != nil {
		return Head{}, fmt.Errorf("partition table: %w", err)
	}
	mode := hs.cfg.Mode
	useInc := mode == mysql.ModeIncrementing || mode == mysql.ModeTimestampIncrementing
	useTS := mode == mysql.ModeTimestamp || mode == mysql.ModeTimestampIncrementing
	if !useInc && !useTS {
		return Head{}, fmt.Errorf("mode %s has no position to compare with the table", mode)
	}
	incExpr, tsExpr := "NULL", "NULL"
	if useInc {
		col := hs.cfg.IncrementingColumn
		if col == "" {
			if col, err = autoIncrement(ctx, hs.db, db, name); err != nil {
				return Head{}, err
			}
		}
		if err := mysql.ValidateIdent(col); err != nil {
			return Head{}, fmt.Errorf("incrementing.column.name: %w", err)
		}
		incExpr = "MAX(" + mysql.QuoteIdent(col) + ")"
	}
	if useTS {
		cols := make([]string, 0, len(hs.cfg.TimestampColumns))
		for _, col := range hs.cfg.TimestampColumns {
			if err := mysql.ValidateIdent(col); err != nil {
				return Head{}, fmt.Errorf("timestamp.column.name: %w", err)
			}
			cols = append(cols, mysql.QuoteIdent(col))
		}
		if len(cols) == 0 {
			return Head{}, errors.New("timestamp.column.name is empty")
		}
		tsExpr = "MAX(COALESCE(" + strings.Join(cols, ", ") + "))"
		if len(cols) == 1 {
			tsExpr = "MAX(" + cols[0] + ")"
		}
	}
	var inc sql.NullInt64
	var ts sql.NullTime
	q := "SELECT " + incExpr + ", " + tsExpr + " FROM " + qtable
	if err := hs.db.QueryRowContext(ctx, q).Scan(&inc, &ts); err != nil {
		return Head{}, fmt.Errorf("reading the head of %s: %w", table, err)
	}
	var h Head
	if inc.Valid {
		h.Incrementing = &inc.Int64
	}
	if ts.Valid {
		ms := ts.Time.UnixMilli()
		h.Timestamp = &ms
	}
	return h, nil
}

// autoIncrement finds the table's AUTO_INCREMENT column, the source's
// incrementing column when incrementing.column.name is empty.
func autoIncrement(ctx context.Context, db *sql.DB, schema, table string) (string, error) {
	var col string
	err := db.QueryRowContext(ctx, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'`, schema, table).Scan(&col)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("table %s.%s has no AUTO_INCREMENT column and incrementing.column.name is empty", schema, table)
	}
	if err != nil {
		return "", fmt.Errorf("finding the AUTO_INCREMENT column of %s.%s: %w", schema, table, err)
	}
	return col, nil
}

// Close closes the database handles.
func (m *MySQLHeads) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, hs := range m.sources {
		errs = append(errs, hs.db.Close())
	}
	m.sources = nil
	return errors.Join(errs...)
}

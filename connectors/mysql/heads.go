package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// OpenHeads is the source's Plugin.Heads: a reader of its tables' heads
// (MAX of the incrementing column and of the timestamp columns) with the
// connector's own connection settings. props are the connector's config,
// references resolved. The database is reached on the first Head.
func OpenHeads(props map[string]string) (connectors.HeadReader, error) {
	cfg, err := ParseSourceConfig(props)
	if err != nil {
		return nil, err
	}
	dc, err := cfg.Conn.DriverConfig()
	if err != nil {
		return nil, err
	}
	conn, err := gomysql.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("mysql source: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(2)
	return &headReader{db: db, cfg: cfg}, nil
}

// positionHead is the source's Plugin.PositionHead: the incrementing and
// timestamp fields of a committed position.
func positionHead(pos connectors.Position) (connectors.TableHead, error) {
	sp, err := ParsePosition(pos)
	if err != nil {
		return connectors.TableHead{}, err
	}
	return connectors.TableHead{Incrementing: sp.Incrementing, Timestamp: sp.Timestamp}, nil
}

// headReader reads table heads with one source's config and handle.
type headReader struct {
	db  *sql.DB
	cfg SourceConfig
}

// Head reads the head of the partition's table, "database.table"; each
// part is validated and quoted, as are the column names from the config.
// The query partition has no table.
func (r *headReader) Head(ctx context.Context, p connectors.Partition) (connectors.TableHead, error) {
	if _, query := p[partitionQueryKey]; query {
		return connectors.TableHead{}, errors.New("query mode: no table to compare with")
	}
	table, ok := p[partitionTableKey]
	if !ok {
		return connectors.TableHead{}, fmt.Errorf("partition %s: want {\"protocol\":\"1\",\"table\":\"database.table\"}", p)
	}
	q, err := r.headQuery(ctx, table)
	if err != nil {
		return connectors.TableHead{}, err
	}
	var inc sql.NullInt64
	var ts sql.NullTime
	if err := r.db.QueryRowContext(ctx, q).Scan(&inc, &ts); err != nil {
		return connectors.TableHead{}, fmt.Errorf("reading the head of %s: %w", table, err)
	}
	var h connectors.TableHead
	if inc.Valid {
		h.Incrementing = &inc.Int64
	}
	if ts.Valid {
		ms := ts.Time.UnixMilli()
		h.Timestamp = &ms
	}
	return h, nil
}

// headQuery builds the query of table's head from validated, quoted names.
// It asks the database only for the AUTO_INCREMENT column when
// incrementing.column.name is empty.
func (r *headReader) headQuery(ctx context.Context, table string) (string, error) {
	db, name, ok := strings.Cut(table, ".")
	if !ok {
		return "", fmt.Errorf("partition table %q: want database.table", table)
	}
	qtable, err := QuoteQualified(table)
	if err != nil {
		return "", fmt.Errorf("partition table: %w", err)
	}
	mode := r.cfg.Mode
	useInc := mode == ModeIncrementing || mode == ModeTimestampIncrementing
	useTS := mode == ModeTimestamp || mode == ModeTimestampIncrementing
	if !useInc && !useTS {
		return "", fmt.Errorf("mode %s has no position to compare with the table", mode)
	}
	incExpr, tsExpr := "NULL", "NULL"
	if useInc {
		col := r.cfg.IncrementingColumn
		if col == "" {
			if col, err = autoIncrement(ctx, r.db, db, name); err != nil {
				return "", err
			}
		}
		if err := ValidateIdent(col); err != nil {
			return "", fmt.Errorf("incrementing.column.name: %w", err)
		}
		incExpr = "MAX(" + QuoteIdent(col) + ")"
	}
	if useTS {
		cols := make([]string, 0, len(r.cfg.TimestampColumns))
		for _, col := range r.cfg.TimestampColumns {
			if err := ValidateIdent(col); err != nil {
				return "", fmt.Errorf("timestamp.column.name: %w", err)
			}
			cols = append(cols, QuoteIdent(col))
		}
		if len(cols) == 0 {
			return "", errors.New("timestamp.column.name is empty")
		}
		tsExpr = "MAX(COALESCE(" + strings.Join(cols, ", ") + "))"
		if len(cols) == 1 {
			tsExpr = "MAX(" + cols[0] + ")"
		}
	}
	return "SELECT " + incExpr + ", " + tsExpr + " FROM " + qtable, nil
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

// Close closes the database handle.
func (r *headReader) Close() error { return r.db.Close() }

package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
)

// Statuses are the values of the orders.status ENUM, in lifecycle order.
var Statuses = []string{"new", "paid", "shipped", "delivered", "cancelled"}

// customers mixes ASCII with multi-byte and 4-byte (emoji) UTF-8, so the
// demo shows utf8mb4 surviving the trip through Kafka.
var customers = []string{
	"Ada Lovelace", "Zoë Ångström", "李雷", "Søren Kierkegaard", "José Álvarez",
	"Mñoz & Sons 🚀", "Ольга Петрова", "Grace Hopper", "Nguyễn Văn An", "O'Brien \"Quoted\" Ltd",
}

// createTableSQL returns the DDL of the demo's source table: an
// AUTO_INCREMENT key, a utf8mb4 string, an exact DECIMAL, an ENUM, an
// unsigned SMALLINT, BIT(1), DOUBLE, a nullable DATE, nullable TEXT and two
// DATETIME(6) columns, updated_at maintained by MySQL (ON UPDATE), which is
// what timestamp+incrementing mode reads.
func createTableSQL(table string) (string, error) {
	if err := mysql.ValidateIdent(table); err != nil {
		return "", fmt.Errorf("demo: table name %q: %w", table, err)
	}
	q := mysql.QuoteIdent(table)
	enum := make([]string, len(Statuses))
	for i, s := range Statuses {
		enum[i] = "'" + s + "'"
	}
	return "CREATE TABLE " + q + ` (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  status ENUM(` + strings.Join(enum, ",") + `) NOT NULL DEFAULT 'new',
  quantity SMALLINT UNSIGNED NOT NULL,
  gift BIT(1) NOT NULL DEFAULT b'0',
  weight_kg DOUBLE NOT NULL,
  ship_date DATE NULL,
  note TEXT CHARACTER SET utf8mb4 NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY updated_id (updated_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`, nil
}

// newOrder is one generated row, before MySQL assigns id and updated_at.
type newOrder struct {
	Customer  string
	Cents     int64
	Status    string
	Quantity  int
	Gift      bool
	WeightKg  float64
	ShipDate  *time.Time
	Note      *string
	CreatedAt time.Time
}

// generator produces deterministic rows from a seed, so two runs seed the
// same table.
type generator struct {
	r    *rand.Rand
	base time.Time
}

func newGenerator(seed uint64) *generator {
	return &generator{
		r:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		base: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

// next returns the n-th generated row. Row 0 and 1 carry the DECIMAL(12,2)
// extremes (0.01 and 9999999999.99) so exactness is checked at the edges.
func (g *generator) next(n int) newOrder {
	o := newOrder{
		Customer:  customers[g.r.IntN(len(customers))],
		Cents:     1 + g.r.Int64N(99_999_99),
		Status:    Statuses[g.r.IntN(3)],
		Quantity:  1 + g.r.IntN(65534),
		Gift:      g.r.IntN(4) == 0,
		WeightKg:  float64(1+g.r.IntN(300_000)) / 1000, // ≤ 15 significant digits: exact in any text protocol
		CreatedAt: g.base.Add(time.Duration(g.r.Int64N(int64(300*24*time.Hour/time.Microsecond))) * time.Microsecond),
	}
	switch n {
	case 0:
		o.Cents = 1
	case 1:
		o.Cents = 999_999_999_999
	}
	if g.r.IntN(3) > 0 {
		d := o.CreatedAt.Truncate(24*time.Hour).AddDate(0, 0, 1+g.r.IntN(10))
		o.ShipDate = &d
	}
	if g.r.IntN(2) == 0 {
		s := fmt.Sprintf("order note #%d — %s", n, []string{"leave at door 📦", "fragile", "", "call first ☎"}[g.r.IntN(4)])
		o.Note = &s
	}
	return o
}

// formatCents renders cents as a DECIMAL(…,2) literal: 1 → "0.01".
func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// parseCents parses a DECIMAL(…,2) text ("12.5", "12.50", "-3") into cents.
func parseCents(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" && frac == "" {
		return 0, fmt.Errorf("demo: %q is not a decimal with at most 2 fraction digits", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("demo: decimal %q: %w", s, err)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("demo: decimal %q: %w", s, err)
	}
	c := w*100 + f
	if neg {
		c = -c
	}
	return c, nil
}

const insertColumns = "customer, amount, status, quantity, gift, weight_kg, ship_date, note, created_at"

func (o newOrder) args() []any {
	var ship, note any
	if o.ShipDate != nil {
		ship = o.ShipDate.Format(time.DateOnly)
	}
	if o.Note != nil {
		note = *o.Note
	}
	return []any{o.Customer, formatCents(o.Cents), o.Status, o.Quantity, o.Gift, o.WeightKg, ship, note,
		o.CreatedAt.Format("2006-01-02 15:04:05.000000")}
}

// insertSQL returns a multi-row INSERT of n rows into q, a quoted table
// name.
func insertSQL(q string, n int) string {
	row := "(?,?,?,?,?,?,?,?,?)"
	rows := make([]string, n)
	for i := range rows {
		rows[i] = row
	}
	return "INSERT INTO " + q + " (" + insertColumns + ") VALUES " + strings.Join(rows, ",")
}

// Seed drops and recreates database db, creates table and inserts rows
// generated from seed, in batches of 500 inside one transaction. admin must
// be a connection without a default database (or any other database).
func Seed(ctx context.Context, admin *sql.DB, db, table string, rows int, seed uint64) error {
	if err := mysql.ValidateIdent(db); err != nil {
		return fmt.Errorf("demo: database name %q: %w", db, err)
	}
	qdb := mysql.QuoteIdent(db)
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+qdb); err != nil {
		return fmt.Errorf("demo: drop database %s: %w", db, err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+qdb+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("demo: create database %s: %w", db, err)
	}
	ddl, err := createTableSQL(table)
	if err != nil {
		return err
	}
	qtable := mysql.QuoteIdent(table)
	conn, err := admin.Conn(ctx)
	if err != nil {
		return fmt.Errorf("demo: seed %s.%s: %w", db, table, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "USE "+qdb); err != nil {
		return fmt.Errorf("demo: use %s: %w", db, err)
	}
	if _, err := conn.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("demo: create table %s.%s: %w", db, table, err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("demo: seed %s.%s: %w", db, table, err)
	}
	defer func() { _ = tx.Rollback() }()
	g := newGenerator(seed)
	const batch = 500
	for start := 0; start < rows; start += batch {
		n := min(batch, rows-start)
		stmt := insertSQL(qtable, n)
		args := make([]any, 0, n*9)
		for i := range n {
			args = append(args, g.next(start+i).args()...)
		}
		if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
			return fmt.Errorf("demo: insert rows %d..%d into %s.%s: %w", start, start+n-1, db, table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("demo: commit seed of %s.%s: %w", db, table, err)
	}
	return nil
}

// Change is one committed source change whose arrival the demo times.
type Change struct {
	ID int64
	// Cents and Status are the row's values after the change.
	Cents  int64
	Status string
	// Insert is true for a new row, false for an update.
	Insert    bool
	Committed time.Time
}

// nextStatus moves an order one step along its lifecycle; delivered and
// cancelled orders get cancelled/delivered so every update changes status.
func nextStatus(s string) string {
	switch s {
	case "new":
		return "paid"
	case "paid":
		return "shipped"
	case "shipped":
		return "delivered"
	case "delivered":
		return "cancelled"
	default:
		return "delivered"
	}
}

// Mutator applies the demo's later changes to the source table: each
// update is its own transaction (read the row FOR UPDATE, raise the amount,
// advance the status, commit) and each insert a single-row commit; the
// commit time of every change is recorded.
type Mutator struct {
	DB *sql.DB
	// Table is the quoted, qualified source table.
	Table string
	gen   *generator
	r     *rand.Rand
	used  map[int64]bool
	maxID int64
}

// NewMutator returns a Mutator over ids 1..maxID of database.table; seed
// makes the choice of rows and values repeatable.
func NewMutator(db *sql.DB, database, table string, maxID int64, seed uint64) (*Mutator, error) {
	q, err := mysql.QuoteQualified(database + "." + table)
	if err != nil {
		return nil, fmt.Errorf("demo: table %s.%s: %w", database, table, err)
	}
	return &Mutator{DB: db, Table: q, gen: newGenerator(seed + 1), r: rand.New(rand.NewPCG(seed, 7)),
		used: map[int64]bool{}, maxID: maxID}, nil
}

// Round updates `updates` distinct rows not changed before and inserts
// `inserts` rows, one commit every `gap` (so commits fall at every phase
// of the source's schedule and the measured latencies sample it evenly),
// returning the committed changes in commit order.
func (m *Mutator) Round(ctx context.Context, updates, inserts int, gap time.Duration) ([]Change, error) {
	q := m.Table
	var out []Change
	pause := func() error {
		if gap <= 0 || len(out) == 0 {
			return nil
		}
		return sleep(ctx, gap)
	}
	for range updates {
		if err := pause(); err != nil {
			return out, err
		}
		if len(m.used) >= int(m.maxID) {
			break
		}
		id := 1 + m.r.Int64N(m.maxID)
		for m.used[id] {
			id = 1 + m.r.Int64N(m.maxID)
		}
		m.used[id] = true
		c, err := m.update(ctx, q, id)
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
	ins := insertSQL(q, 1)
	for i := range inserts {
		if err := pause(); err != nil {
			return out, err
		}
		o := m.gen.next(2 + i)
		res, err := m.DB.ExecContext(ctx, ins, o.args()...)
		if err != nil {
			return out, fmt.Errorf("demo: insert into %s: %w", m.Table, err)
		}
		committed := time.Now()
		id, err := res.LastInsertId()
		if err != nil {
			return out, fmt.Errorf("demo: insert into %s: %w", m.Table, err)
		}
		out = append(out, Change{ID: id, Cents: o.Cents, Status: o.Status, Insert: true, Committed: committed})
	}
	return out, nil
}

func (m *Mutator) update(ctx context.Context, qtable string, id int64) (Change, error) {
	tx, err := m.DB.BeginTx(ctx, nil)
	if err != nil {
		return Change{}, fmt.Errorf("demo: update id %d: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	var amount, status string
	err = tx.QueryRowContext(ctx, "SELECT CAST(amount AS CHAR), status FROM "+qtable+" WHERE id = ? FOR UPDATE", id).Scan(&amount, &status)
	if err != nil {
		return Change{}, fmt.Errorf("demo: read id %d for update: %w", id, err)
	}
	cents, err := parseCents(amount)
	if err != nil {
		return Change{}, err
	}
	c := Change{ID: id, Cents: cents + 1 + m.r.Int64N(5000), Status: nextStatus(status)}
	if c.Cents > 999_999_999_999 {
		c.Cents = cents - 1 - m.r.Int64N(5000)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE "+qtable+" SET amount = ?, status = ? WHERE id = ?", formatCents(c.Cents), c.Status, id); err != nil {
		return Change{}, fmt.Errorf("demo: update id %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return Change{}, fmt.Errorf("demo: commit update of id %d: %w", id, err)
	}
	c.Committed = time.Now()
	return c, nil
}

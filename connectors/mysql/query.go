package mysql

import (
	"strconv"
	"strings"
	"time"
)

// keysetQuery builds the page queries of one partition. Every mode is a
// keyset read: rows strictly after the last row read, in the order of
// Order, at most Limit of them. There is never an OFFSET (its cost grows
// with the table) and never an unbounded result set.
type keysetQuery struct {
	// Select is the select list ("`a`, `b`" or "*").
	Select string
	// From is the quoted table ("`db`.`t`") or a derived table
	// ("(SELECT ...) AS q").
	From string
	// Order are the keyset expressions, most significant first, e.g.
	// ["`ts`", "`id`"]. Together they must be unique per row, or the page
	// reader must trim a trailing group of ties (see Source).
	Order []string
	// Params are the placeholders compared with Order, one per expression;
	// a missing or empty one is "?". A DECIMAL key needs
	// "CAST(? AS DECIMAL(p,s))": compared with a string parameter MySQL
	// would compare as floating point and lose digits.
	Params []string
	// SkipNullFirst adds "Order[0] IS NOT NULL" to the query from the
	// beginning (n = 0), so a nullable incrementing column (allowed with
	// validate.non.null=false) skips NULL rows as every later page does.
	SkipNullFirst bool
	// Upper, when set, is an expression bounded above by the database
	// clock: Upper < CURRENT_TIMESTAMP(6) - Delay.
	Upper string
	Delay time.Duration
	// Through, when set, bounds Order[0] from above: "Order[0] <= Through"
	// (a placeholder; its argument comes after the keyset arguments). A
	// chunk of a parallel initial load reads up to its end with it.
	Through string
	// Limit is batch.max.rows.
	Limit int
	// Suffix is query.suffix, appended last.
	Suffix string
}

// SQL returns the page query for a position holding the first n keyset
// values (0 = from the beginning). The position's values are bound in the
// order keysetArgs returns them.
//
// For Order [a, b] and n = 2 the predicate is
//
//	a >= ? AND (a > ? OR (a = ? AND b > ?))
//
// The expanded form, with its leading a >= ?, gets a range scan over both
// columns of an index on (a, b) (EXPLAIN on MariaDB 10.11: type range,
// key_len 16 for DATETIME(6)+BIGINT), where the row constructor form
// (a, b) > (?, ?) only ranges over the leading column (key_len 8) and
// filters the rest. Give timestamp tables an index on (timestamp, key) so
// every page is a short range read instead of a scan and sort.
func (q keysetQuery) SQL(n int) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(q.Select)
	b.WriteString(" FROM ")
	b.WriteString(q.From)
	var conds []string
	if q.Upper != "" {
		bound := q.Upper + " < CURRENT_TIMESTAMP(6)"
		if us := q.Delay.Microseconds(); us > 0 {
			bound += " - INTERVAL " + strconv.FormatInt(us, 10) + " MICROSECOND"
		}
		conds = append(conds, bound)
	}
	if n > len(q.Order) {
		n = len(q.Order)
	}
	if n == 0 && q.SkipNullFirst && len(q.Order) > 0 {
		conds = append(conds, q.Order[0]+" IS NOT NULL")
	}
	if n == 1 {
		conds = append(conds, q.Order[0]+" > "+q.param(0))
	} else if n > 1 {
		alts := make([]string, n)
		for i := 0; i < n; i++ {
			parts := make([]string, 0, i+1)
			for j := 0; j < i; j++ {
				parts = append(parts, q.Order[j]+" = "+q.param(j))
			}
			parts = append(parts, q.Order[i]+" > "+q.param(i))
			if i == 0 {
				alts[i] = parts[0]
			} else {
				alts[i] = "(" + strings.Join(parts, " AND ") + ")"
			}
		}
		conds = append(conds, q.Order[0]+" >= "+q.param(0), "("+strings.Join(alts, " OR ")+")")
	}
	if q.Through != "" && len(q.Order) > 0 {
		conds = append(conds, q.Order[0]+" <= "+q.Through)
	}
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	if len(q.Order) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range q.Order {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(o)
			b.WriteString(" ASC")
		}
	}
	b.WriteString(" LIMIT ")
	b.WriteString(strconv.Itoa(q.Limit))
	if q.Suffix != "" {
		b.WriteByte(' ')
		b.WriteString(q.Suffix)
	}
	return b.String()
}

func (q keysetQuery) param(i int) string {
	if i < len(q.Params) && q.Params[i] != "" {
		return q.Params[i]
	}
	return "?"
}

// keysetArgs returns the bind arguments of SQL(len(vals)) for the position
// values vals (most significant first).
func keysetArgs(vals []any) []any {
	n := len(vals)
	switch n {
	case 0:
		return nil
	case 1:
		return []any{vals[0]}
	}
	args := make([]any, 0, 1+n*(n+1)/2)
	args = append(args, vals[0])
	for i := 0; i < n; i++ {
		args = append(args, vals[:i+1]...)
	}
	return args
}

// timestampExpr is the timestamp.column.name expression: the quoted column,
// or COALESCE of several, as the JDBC source connector does.
func timestampExpr(cols []string) string {
	if len(cols) == 1 {
		return QuoteIdent(cols[0])
	}
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = QuoteIdent(c)
	}
	return "COALESCE(" + strings.Join(q, ", ") + ")"
}

// selectList quotes column names into a select list.
func selectList(cols []Column) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = QuoteIdent(c.Name)
	}
	return strings.Join(q, ", ")
}

// queryFrom wraps a user query as a derived table, so the keyset predicate
// and ORDER BY apply to its result.
func queryFrom(query string) string {
	return "(" + strings.TrimRight(strings.TrimSpace(query), "; \t\n") + ") AS q"
}

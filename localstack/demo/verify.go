package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
)

// Order is one row of the orders table in a form every copy can be
// compared in. Times are UTC and truncated to milliseconds, because Kafka
// Connect's Timestamp logical type (what JsonConverter writes) carries
// milliseconds; the DATETIME(6) source keeps microseconds the sinks cannot
// receive. Amount is the exact decimal text as MySQL prints DECIMAL(12,2)
// ("12.50"); comparisons are numeric (big.Rat), never float.
type Order struct {
	ID        int64
	Customer  string
	Amount    string
	Status    string
	Quantity  int64
	Gift      bool
	WeightKg  float64
	ShipDate  string // YYYY-MM-DD, "" for NULL
	Note      *string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Columns lists Order's fields by their column names, in Compare's order.
var Columns = []string{"id", "customer", "amount", "status", "quantity", "gift", "weight_kg", "ship_date", "note", "created_at", "updated_at"}

// ReadMySQL returns every row of db.table ordered by id. It reads the
// source and the replica with the same query, normalizing types that
// differ between them (BIT(1) vs TINYINT(1), DATETIME(6) vs DATETIME(3)).
// conn must use parseTime=true.
func ReadMySQL(ctx context.Context, conn *sql.DB, db, table string) ([]Order, error) {
	from, err := mysql.QuoteQualified(db + "." + table)
	if err != nil {
		return nil, fmt.Errorf("demo: table %s.%s: %w", db, table, err)
	}
	rows, err := conn.QueryContext(ctx, "SELECT id, customer, CAST(amount AS CHAR), status, quantity, (gift <> 0), weight_kg, "+
		"ship_date, note, created_at, updated_at FROM "+from+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("demo: read %s.%s: %w", db, table, err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		var o Order
		var gift int64
		var ship sql.NullTime
		var note sql.NullString
		if err := rows.Scan(&o.ID, &o.Customer, &o.Amount, &o.Status, &o.Quantity, &gift, &o.WeightKg, &ship, &note, &o.CreatedAt, &o.UpdatedAt); err != nil {
			return nil, fmt.Errorf("demo: read %s.%s: %w", db, table, err)
		}
		o.Gift = gift != 0
		if ship.Valid {
			o.ShipDate = ship.Time.Format(time.DateOnly)
		}
		if note.Valid {
			o.Note = &note.String
		}
		o.CreatedAt = o.CreatedAt.UTC().Truncate(time.Millisecond)
		o.UpdatedAt = o.UpdatedAt.UTC().Truncate(time.Millisecond)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("demo: read %s.%s: %w", db, table, err)
	}
	return out, nil
}

// ScanAPI is the part of *dynamodb.Client the demo reads items with.
type ScanAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// ReadDynamo scans every item of table (consistent reads) and decodes it
// as the DynamoDB sink writes a record value: numbers as N (decimals
// exact, timestamps and dates as epoch milliseconds), booleans as BOOL,
// NULL for null. The result is ordered by id.
func ReadDynamo(ctx context.Context, api ScanAPI, table string) ([]Order, error) {
	var out []Order
	var start map[string]types.AttributeValue
	for {
		res, err := api.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("demo: scan %s: %w", table, err)
		}
		for _, item := range res.Items {
			o, err := DecodeItem(item)
			if err != nil {
				return nil, fmt.Errorf("demo: table %s: %w", table, err)
			}
			out = append(out, o)
		}
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		start = res.LastEvaluatedKey
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DecodeItem turns one DynamoDB item into an Order; a missing or
// mistyped attribute is an error naming it.
func DecodeItem(item map[string]types.AttributeValue) (Order, error) {
	var o Order
	d := itemDecoder{item: item}
	o.ID = d.int("id")
	o.Customer = d.str("customer")
	o.Amount = d.num("amount")
	o.Status = d.str("status")
	o.Quantity = d.int("quantity")
	o.Gift = d.bool("gift")
	if w := d.num("weight_kg"); w != "" {
		f, err := strconv.ParseFloat(w, 64)
		if err != nil {
			d.fail("weight_kg", err)
		}
		o.WeightKg = f
	}
	if !d.null("ship_date") {
		o.ShipDate = time.UnixMilli(d.int("ship_date")).UTC().Format(time.DateOnly)
	}
	if !d.null("note") {
		s := d.str("note")
		o.Note = &s
	}
	o.CreatedAt = time.UnixMilli(d.int("created_at")).UTC()
	o.UpdatedAt = time.UnixMilli(d.int("updated_at")).UTC()
	if d.err != nil {
		return Order{}, fmt.Errorf("item id=%d: %w", o.ID, d.err)
	}
	return o, nil
}

type itemDecoder struct {
	item map[string]types.AttributeValue
	err  error
}

func (d *itemDecoder) fail(attr string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s: %w", attr, err)
	}
}

func (d *itemDecoder) null(attr string) bool {
	v, ok := d.item[attr]
	if !ok {
		return true
	}
	_, isNull := v.(*types.AttributeValueMemberNULL)
	return isNull
}

func (d *itemDecoder) str(attr string) string {
	v, ok := d.item[attr].(*types.AttributeValueMemberS)
	if !ok {
		d.fail(attr, fmt.Errorf("want S, got %T", d.item[attr]))
		return ""
	}
	return v.Value
}

func (d *itemDecoder) num(attr string) string {
	v, ok := d.item[attr].(*types.AttributeValueMemberN)
	if !ok {
		d.fail(attr, fmt.Errorf("want N, got %T", d.item[attr]))
		return ""
	}
	return v.Value
}

func (d *itemDecoder) int(attr string) int64 {
	s := d.num(attr)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		d.fail(attr, err)
	}
	return n
}

func (d *itemDecoder) bool(attr string) bool {
	v, ok := d.item[attr].(*types.AttributeValueMemberBOOL)
	if !ok {
		d.fail(attr, fmt.Errorf("want BOOL, got %T", d.item[attr]))
		return false
	}
	return v.Value
}

// Mismatch is one difference between the source and a copy.
type Mismatch struct {
	ID     int64
	Column string // "" when the whole row is missing or extra
	Want   string // source value ("" for an extra row)
	Got    string // copy value ("" for a missing row)
}

func (m Mismatch) String() string {
	switch {
	case m.Column == "" && m.Got == "":
		return fmt.Sprintf("id=%d: missing", m.ID)
	case m.Column == "":
		return fmt.Sprintf("id=%d: not in the source", m.ID)
	}
	return fmt.Sprintf("id=%d %s: want %s, got %s", m.ID, m.Column, m.Want, m.Got)
}

// Compare returns every difference between want (the source) and got (a
// copy), both ordered by id: missing rows, extra rows and each differing
// column. Decimals compare numerically and exactly ("12.5" equals
// "12.50"), floats bit for bit.
func Compare(want, got []Order) []Mismatch {
	var out []Mismatch
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j >= len(got) || i < len(want) && want[i].ID < got[j].ID:
			out = append(out, Mismatch{ID: want[i].ID, Want: "row"})
			i++
		case i >= len(want) || got[j].ID < want[i].ID:
			out = append(out, Mismatch{ID: got[j].ID, Got: "row"})
			j++
		default:
			out = append(out, compareRow(want[i], got[j])...)
			i++
			j++
		}
	}
	return out
}

func compareRow(w, g Order) []Mismatch {
	var out []Mismatch
	add := func(col, want, got string) {
		if want != got {
			out = append(out, Mismatch{ID: w.ID, Column: col, Want: want, Got: got})
		}
	}
	add("customer", strconv.Quote(w.Customer), strconv.Quote(g.Customer))
	if !decimalEqual(w.Amount, g.Amount) {
		out = append(out, Mismatch{ID: w.ID, Column: "amount", Want: w.Amount, Got: g.Amount})
	}
	add("status", w.Status, g.Status)
	add("quantity", strconv.FormatInt(w.Quantity, 10), strconv.FormatInt(g.Quantity, 10))
	add("gift", strconv.FormatBool(w.Gift), strconv.FormatBool(g.Gift))
	add("weight_kg", strconv.FormatFloat(w.WeightKg, 'g', -1, 64), strconv.FormatFloat(g.WeightKg, 'g', -1, 64))
	add("ship_date", orNull(w.ShipDate), orNull(g.ShipDate))
	add("note", quotePtr(w.Note), quotePtr(g.Note))
	add("created_at", w.CreatedAt.Format(time.RFC3339Nano), g.CreatedAt.Format(time.RFC3339Nano))
	add("updated_at", w.UpdatedAt.Format(time.RFC3339Nano), g.UpdatedAt.Format(time.RFC3339Nano))
	return out
}

func decimalEqual(a, b string) bool {
	ra, ok1 := new(big.Rat).SetString(strings.TrimSpace(a))
	rb, ok2 := new(big.Rat).SetString(strings.TrimSpace(b))
	if !ok1 || !ok2 {
		return a == b
	}
	return ra.Cmp(rb) == 0
}

func orNull(s string) string {
	if s == "" {
		return "NULL"
	}
	return s
}

func quotePtr(s *string) string {
	if s == nil {
		return "NULL"
	}
	return strconv.Quote(*s)
}

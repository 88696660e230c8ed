package mysql

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// sinkColumn is one column a row writes. schema is nil for schemaless
// (JSON) values, which then cannot drive auto.create or auto.evolve.
type sinkColumn struct {
	name   string
	schema *connect.Schema
	key    bool
}

// sinkRow is one record turned into column values for one table.
type sinkRow struct {
	index  int    // position of the record in the batch passed to Write
	table  string // unquoted, possibly db-qualified table name
	delete bool   // tombstone with delete.enabled: only key columns are set
	cols   []sinkColumn
	vals   []any // driver parameters, parallel to cols; key columns first
	nkeys  int   // cols[:nkeys] are the primary key columns
	keyID  string
	sig    string // column names joined; rows with equal sig share a statement
	bytes  int    // rough parameter size, to bound statement size
	// permissive is identifiers.permissive: column names are checked
	// with ValidateIdentPermissive.
	permissive bool
}

// errSkipTombstone marks a tombstone that is skipped because
// delete.enabled=false.
var errSkipTombstone = errors.New("tombstone skipped: delete.enabled=false")

// extractRow maps a record to a row following the JDBC sink's
// FieldsMetadata rules for pk.mode, pk.fields and fields.whitelist.
func (c *SinkConfig) extractRow(idx int, table string, r *connect.Record) (sinkRow, error) {
	return c.extractRowAfter(idx, table, r, nil)
}

// extractRowAfter is extractRow with the batch's previous row, whose
// column signature is reused when the columns are the same (the usual
// case: one schema for the whole batch), and whose column names need no
// second check (see addValue).
func (c *SinkConfig) extractRowAfter(idx int, table string, r *connect.Record, prev *sinkRow) (sinkRow, error) {
	row := sinkRow{index: idx, table: table, permissive: c.PermissiveIdentifiers}
	if prev != nil && prev.permissive != row.permissive {
		prev = nil
	}
	var fields []valueField
	var fieldsBuf [16]valueField
	if r.Value == nil {
		if !c.DeleteEnabled {
			return row, errSkipTombstone
		}
		row.delete = true
	} else {
		var err error
		if fields, err = valueFields(r, fieldsBuf[:0]); err != nil {
			return row, err
		}
		n := len(fields) + len(c.PKFields)
		if c.PKMode == PKModeRecordKey && len(c.PKFields) == 0 {
			n++ // usually a one-field key
		}
		row.cols = make([]sinkColumn, 0, n)
		row.vals = make([]any, 0, n)
	}
	// Key columns.
	switch c.PKMode {
	case PKModeKafka:
		row.add(sinkColumn{c.PKFields[0], connect.Primitive(connect.String), true}, r.Topic)
		row.add(sinkColumn{c.PKFields[1], connect.Primitive(connect.Int32), true}, int64(r.Partition))
		row.add(sinkColumn{c.PKFields[2], connect.Primitive(connect.Int64), true}, r.Offset)
	case PKModeRecordKey:
		if err := c.addKeyFields(&row, r, prev); err != nil {
			return row, err
		}
	}
	if row.delete {
		row.finishAfter(prev)
		return row, nil
	}
	if c.PKMode == PKModeRecordValue {
		names := c.PKFields
		if len(names) == 0 {
			for _, f := range fields {
				names = append(names, f.name)
			}
		}
		for _, n := range names {
			i := slices.IndexFunc(fields, func(f valueField) bool { return f.name == n })
			if i < 0 {
				return row, fmt.Errorf("pk.mode=record_value with pk.fields %v, but the record value has no field %q", c.PKFields, n)
			}
			if fields[i].val == nil {
				return row, fmt.Errorf("pk.mode=record_value: primary key field %q is null", n)
			}
			if err := row.addValue(sinkColumn{n, fields[i].schema, true}, fields[i].val, prev); err != nil {
				return row, err
			}
		}
	}
	for _, f := range fields {
		if len(c.FieldsWhitelist) > 0 && !slices.Contains(c.FieldsWhitelist, f.name) {
			continue
		}
		if row.hasColumn(f.name) {
			continue // already written as a key column
		}
		if !row.checkedBefore(f.name, prev) {
			if err := c.validateIdent(f.name); err != nil {
				return row, fmt.Errorf("value field: %w", err)
			}
		}
		if err := row.addValue(sinkColumn{f.name, f.schema, false}, f.val, prev); err != nil {
			return row, err
		}
	}
	if len(row.cols) == 0 {
		return row, fmt.Errorf("record has no columns to write (check %s)", SinkKeyFieldsWhitelist)
	}
	row.finishAfter(prev)
	return row, nil
}

// addKeyFields adds the pk.mode=record_key columns from the record key.
func (c *SinkConfig) addKeyFields(row *sinkRow, r *connect.Record, prev *sinkRow) error {
	if r.Key == nil {
		return fmt.Errorf("pk.mode=record_key, but the record key is null")
	}
	switch k := r.Key.(type) {
	case *connect.StructValue:
		names := c.PKFields
		if len(names) == 0 {
			for _, f := range k.Schema.Fields {
				names = append(names, f.Name)
			}
		}
		for _, n := range names {
			f := k.Schema.Field(n)
			if f == nil {
				return fmt.Errorf("pk.mode=record_key with pk.fields %v, but the record key has no field %q", c.PKFields, n)
			}
			v := k.Values[f.Index]
			if v == nil {
				return fmt.Errorf("pk.mode=record_key: key field %q is null", n)
			}
			if err := row.addValue(sinkColumn{n, f.Schema, true}, v, prev); err != nil {
				return err
			}
		}
	case map[string]any:
		names := c.PKFields
		if len(names) == 0 {
			names = sortedKeys(k)
		}
		for _, n := range names {
			v, ok := k[n]
			if !ok || v == nil {
				return fmt.Errorf("pk.mode=record_key: the record key has no non-null field %q", n)
			}
			if err := row.addValue(sinkColumn{n, nil, true}, v, prev); err != nil {
				return err
			}
		}
	default:
		if len(c.PKFields) != 1 {
			return fmt.Errorf("need exactly one PK column in %s since the record key is a primitive (%T), defined columns are: %v", SinkKeyPKFields, r.Key, c.PKFields)
		}
		if err := row.addValue(sinkColumn{c.PKFields[0], r.KeySchema, true}, r.Key, prev); err != nil {
			return err
		}
	}
	return nil
}

type valueField struct {
	name   string
	schema *connect.Schema
	val    any
}

// valueFields appends the record value's fields to out: struct fields in
// schema order, or the keys of a schemaless JSON object in sorted order.
func valueFields(r *connect.Record, out []valueField) ([]valueField, error) {
	switch v := r.Value.(type) {
	case *connect.StructValue:
		for _, f := range v.Schema.Fields {
			out = append(out, valueField{f.Name, f.Schema, v.Values[f.Index]})
		}
		return out, nil
	case map[string]any:
		for _, k := range sortedKeys(v) {
			out = append(out, valueField{k, nil, v[k]})
		}
		return out, nil
	default:
		return nil, fmt.Errorf("record value must be a struct or a JSON object, got %T", r.Value)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (row *sinkRow) hasColumn(name string) bool {
	for _, c := range row.cols {
		if c.name == name {
			return true
		}
	}
	return false
}

func (row *sinkRow) add(c sinkColumn, v any) {
	row.cols = append(row.cols, c)
	row.vals = append(row.vals, v)
	if c.key {
		row.nkeys++
	}
	switch p := v.(type) {
	case string:
		row.bytes += len(p) + 4
	case []byte:
		row.bytes += len(p) + 4
	default:
		row.bytes += 9
	}
}

// checkedBefore reports whether prev (the batch's previous row, made
// with the same identifiers.permissive, or nil) has a column named name
// where row's next column goes. Every name in a finished row passed
// validateIdent in addValue, except pk.mode=kafka's columns, which come
// first in every row of the mode and never from addValue; so name has
// passed it too and need not be checked again.
func (row *sinkRow) checkedBefore(name string, prev *sinkRow) bool {
	k := len(row.cols)
	return prev != nil && k < len(prev.cols) && prev.cols[k].name == name
}

// addValue converts v to a driver parameter and adds the column; prev is
// as for checkedBefore.
func (row *sinkRow) addValue(c sinkColumn, v any, prev *sinkRow) error {
	if !row.checkedBefore(c.name, prev) {
		if err := validateIdent(c.name, row.permissive); err != nil {
			return fmt.Errorf("column name: %w", err)
		}
	}
	p, err := toParam(v, c.schema)
	if err != nil {
		return fmt.Errorf("field %q: %w", c.name, err)
	}
	row.add(c, p)
	return nil
}

// finish computes the key identity and the column signature.
func (row *sinkRow) finish() { row.finishAfter(nil) }

// finishAfter is finish reusing prev's signature when the column names
// are the same; prev may be nil.
func (row *sinkRow) finishAfter(prev *sinkRow) {
	if prev != nil && sameNames(prev.cols, row.cols) {
		row.sig = prev.sig
	} else {
		var sig strings.Builder
		for _, c := range row.cols {
			sig.WriteString(c.name)
			sig.WriteByte(0)
		}
		row.sig = sig.String()
	}
	var idBuf [64]byte
	id := idBuf[:0]
	for _, v := range row.vals[:row.nkeys] {
		id = appendKeyPart(id, v)
	}
	row.keyID = string(id)
}

func sameNames(a, b []sinkColumn) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name {
			return false
		}
	}
	return true
}

// appendKeyPart encodes one key value unambiguously (type tag, length
// prefix) so distinct keys never collide.
func appendKeyPart(b []byte, v any) []byte {
	var s string
	tag := byte('?')
	switch p := v.(type) {
	case int64:
		var num [20]byte
		digits := strconv.AppendInt(num[:0], p, 10)
		b = append(b, 'i')
		b = strconv.AppendInt(b, int64(len(digits)), 10)
		b = append(b, ':')
		return append(b, digits...)
	case float64:
		tag, s = 'f', strconv.FormatFloat(p, 'g', -1, 64)
	case bool:
		tag, s = 'b', strconv.FormatBool(p)
	case string:
		tag, s = 's', p
	case []byte:
		tag, s = 'y', string(p)
	case time.Time:
		tag, s = 't', p.UTC().Format(time.RFC3339Nano)
	default:
		s = fmt.Sprint(p)
	}
	b = append(b, tag)
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// toParam converts a Connect value (see connect.Record) to a go-sql-driver
// parameter. Decimals go as exact strings; Date and Time as strings MySQL
// parses into DATE and TIME; Timestamp as time.Time (the driver writes it
// in db.timezone). Schemaless JSON numbers go as strings (MySQL converts
// them to the column type exactly); nested JSON goes as JSON text. A value
// that goes as it is is returned as v itself, not boxed again.
func toParam(v any, s *connect.Schema) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return v, nil
	case int:
		return int64(x), nil
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%v cannot be stored in MySQL", x)
		}
		return float64(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v cannot be stored in MySQL", x)
		}
		return v, nil
	case bool, string, []byte:
		return x, nil
	case json.Number:
		return string(x), nil
	case connect.Decimal:
		return x.String(), nil
	case time.Time:
		switch {
		case s.IsLogical(connect.DateName):
			return x.UTC().Format("2006-01-02"), nil
		case s.IsLogical(connect.TimeName):
			return x.UTC().Format("15:04:05.000"), nil
		}
		return v, nil
	case map[string]any, []any:
		if s != nil {
			return nil, fmt.Errorf("unsupported field type %s: the MySQL sink writes primitive fields only", s.Type)
		}
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("encode nested JSON: %w", err)
		}
		return string(b), nil
	case *connect.StructValue, []connect.MapEntry:
		return nil, fmt.Errorf("unsupported field type %T: the MySQL sink writes primitive fields only", v)
	default:
		return nil, fmt.Errorf("unsupported value type %T", v)
	}
}

// collapse keeps, for every key, only the last row of the batch (last write
// wins; a delete after an upsert is a delete, an upsert after a delete an
// upsert). Rows keep their batch order. Rows without key columns are all
// kept.
func collapse(rows []sinkRow) []sinkRow {
	last := make(map[string]int, len(rows))
	for i, r := range rows {
		if r.nkeys > 0 {
			last[r.keyID] = i
		}
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]sinkRow, 0, len(last))
	for i, r := range rows {
		if r.nkeys == 0 || last[r.keyID] == i {
			out = append(out, r)
		}
	}
	return out
}

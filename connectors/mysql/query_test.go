package mysql

import (
	"reflect"
	"testing"
	"time"
)

func TestKeysetQuerySQL(t *testing.T) {
	base := keysetQuery{Select: "`id`, `ts`", From: "`db`.`t`", Limit: 100}
	tests := []struct {
		name string
		q    func() keysetQuery
		n    int
		want string
	}{
		{"incrementing from start", func() keysetQuery { q := base; q.Order = []string{"`id`"}; return q }, 0,
			"SELECT `id`, `ts` FROM `db`.`t` ORDER BY `id` ASC LIMIT 100"},
		{"nullable incrementing from start", func() keysetQuery { q := base; q.Order, q.SkipNullFirst = []string{"`id`"}, true; return q }, 0,
			"SELECT `id`, `ts` FROM `db`.`t` WHERE `id` IS NOT NULL ORDER BY `id` ASC LIMIT 100"},
		{"incrementing after", func() keysetQuery { q := base; q.Order = []string{"`id`"}; return q }, 1,
			"SELECT `id`, `ts` FROM `db`.`t` WHERE `id` > ? ORDER BY `id` ASC LIMIT 100"},
		{"timestamp+incrementing from start", func() keysetQuery {
			q := base
			q.Order, q.Upper = []string{"`ts`", "`id`"}, "`ts`"
			return q
		}, 0,
			"SELECT `id`, `ts` FROM `db`.`t` WHERE `ts` < CURRENT_TIMESTAMP(6) ORDER BY `ts` ASC, `id` ASC LIMIT 100"},
		{"timestamp+incrementing after timestamp only", func() keysetQuery {
			q := base
			q.Order, q.Upper = []string{"`ts`", "`id`"}, "`ts`"
			return q
		}, 1,
			"SELECT `id`, `ts` FROM `db`.`t` WHERE `ts` < CURRENT_TIMESTAMP(6) AND `ts` > ? ORDER BY `ts` ASC, `id` ASC LIMIT 100"},
		{"timestamp+incrementing after both with delay", func() keysetQuery {
			q := base
			q.Order, q.Upper, q.Delay = []string{"`ts`", "`id`"}, "`ts`", 1500*time.Millisecond
			return q
		}, 2,
			"SELECT `id`, `ts` FROM `db`.`t` WHERE `ts` < CURRENT_TIMESTAMP(6) - INTERVAL 1500000 MICROSECOND AND `ts` >= ? AND (`ts` > ? OR (`ts` = ? AND `id` > ?)) ORDER BY `ts` ASC, `id` ASC LIMIT 100"},
		{"timestamp with composite key tie-breaker", func() keysetQuery {
			q := base
			q.Order, q.Upper = []string{"COALESCE(`a`, `b`)", "`k1`", "`k2`"}, "COALESCE(`a`, `b`)"
			return q
		}, 3,
			"SELECT `id`, `ts` FROM `db`.`t` WHERE COALESCE(`a`, `b`) < CURRENT_TIMESTAMP(6) AND COALESCE(`a`, `b`) >= ? AND (COALESCE(`a`, `b`) > ? OR (COALESCE(`a`, `b`) = ? AND `k1` > ?) OR (COALESCE(`a`, `b`) = ? AND `k1` = ? AND `k2` > ?)) ORDER BY COALESCE(`a`, `b`) ASC, `k1` ASC, `k2` ASC LIMIT 100"},
		{"decimal key cast back", func() keysetQuery {
			q := base
			q.Order, q.Params = []string{"`k`", "`s`"}, []string{"CAST(? AS DECIMAL(30,3))", ""}
			return q
		}, 2,
			"SELECT `id`, `ts` FROM `db`.`t` WHERE `k` >= CAST(? AS DECIMAL(30,3)) AND (`k` > CAST(? AS DECIMAL(30,3)) OR (`k` = CAST(? AS DECIMAL(30,3)) AND `s` > ?)) ORDER BY `k` ASC, `s` ASC LIMIT 100"},
		{"bulk without key", func() keysetQuery { q := base; q.Limit = 101; return q }, 0,
			"SELECT `id`, `ts` FROM `db`.`t` LIMIT 101"},
		{"query mode with suffix", func() keysetQuery {
			return keysetQuery{Select: "*", From: queryFrom("SELECT a, b FROM x JOIN y USING (id);"), Order: []string{"`a`"}, Limit: 5, Suffix: "LOCK IN SHARE MODE"}
		}, 1,
			"SELECT * FROM (SELECT a, b FROM x JOIN y USING (id)) AS q WHERE `a` > ? ORDER BY `a` ASC LIMIT 5 LOCK IN SHARE MODE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q().SQL(tc.n); got != tc.want {
				t.Errorf("SQL(%d)\n got %s\nwant %s", tc.n, got, tc.want)
			}
		})
	}
}

func TestKeysetArgs(t *testing.T) {
	tests := []struct {
		name string
		in   []any
		want []any
	}{
		{"none", nil, nil},
		{"one", []any{1}, []any{1}},
		{"two", []any{"t", 7}, []any{"t", "t", "t", 7}},
		{"three", []any{"t", 1, 2}, []any{"t", "t", "t", 1, "t", 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := keysetArgs(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("keysetArgs(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestTimestampExprAndSelectList(t *testing.T) {
	if got := timestampExpr([]string{"updated`at"}); got != "`updated``at`" {
		t.Errorf("one column: %s", got)
	}
	if got := timestampExpr([]string{"u", "c"}); got != "COALESCE(`u`, `c`)" {
		t.Errorf("coalesce: %s", got)
	}
	if got := selectList([]Column{{Name: "a"}, {Name: "b c"}}); got != "`a`, `b c`" {
		t.Errorf("select list: %s", got)
	}
}

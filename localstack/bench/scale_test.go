package main

import (
	"reflect"
	"testing"
)

func TestParseTasks(t *testing.T) {
	cases := []struct {
		name, in string
		want     []int
		wantErr  bool
	}{
		{"default", "1,4,10", []int{1, 4, 10}, false},
		{"spaces", " 2 , 3", []int{2, 3}, false},
		{"zero", "0,4", nil, true},
		{"above the maximum", "101", nil, true},
		{"not a number", "four", nil, true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTasks(tt.in)
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseTasks(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestScaleBigRowsDefault(t *testing.T) {
	t.Setenv(EnvScaleBigRows, "")
	if got := scaleBigRowsDefault(); got != defaultScaleBigRows {
		t.Errorf("default %d, want %d", got, defaultScaleBigRows)
	}
	t.Setenv(EnvScaleBigRows, "5000000")
	if got := scaleBigRowsDefault(); got != 5_000_000 {
		t.Errorf("with %s=5000000: %d", EnvScaleBigRows, got)
	}
}

package binlog

import "testing"

// TestGTIDTracker checks the set kept at boundaries: MariaDB replaces a
// domain's last GTID, MySQL merges intervals, and a server without GTIDs
// keeps none.
func TestGTIDTracker(t *testing.T) {
	cases := []struct {
		name    string
		src     Source
		stored  string
		add     []string
		want    string
		wantErr bool
	}{
		{"mariadb one domain", Source{mariadb: true, gtids: true}, "0-1-10", []string{"0-1-11", "0-1-12"}, "0-1-12", false},
		{"mariadb second domain", Source{mariadb: true, gtids: true}, "0-1-10", []string{"1-2-5"}, "0-1-10,1-2-5", false},
		{"mariadb from empty", Source{mariadb: true, gtids: true}, "", []string{"0-1-1"}, "0-1-1", false},
		{"mysql merges", Source{gtids: true}, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5",
			[]string{"3e11fa47-71ca-11e1-9e33-c80aa9429562:6", "3e11fa47-71ca-11e1-9e33-c80aa9429562:7"},
			"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-7", false},
		{"mysql without gtid_mode keeps none", Source{}, "", []string{"3e11fa47-71ca-11e1-9e33-c80aa9429562:6"}, "", false},
		{"unreadable stored set", Source{mariadb: true, gtids: true}, "not-a-gtid", nil, "", true},
		{"unreadable gtid", Source{mariadb: true, gtids: true}, "0-1-1", []string{"x"}, "0-1-1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.src.newGTIDTracker(tc.stored)
			for _, a := range tc.add {
				g.add(a)
			}
			if (g.err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", g.err, tc.wantErr)
			}
			if !tc.wantErr && g.String() != tc.want {
				t.Fatalf("set %q, want %q", g.String(), tc.want)
			}
		})
	}
}

package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// GTID sets. The stored position carries, next to file and pos, the GTID
// set of every transaction up to that boundary (Debezium's "gtids"):
// MariaDB's GTID position (domain-server-seq per domain, as
// @@gtid_binlog_pos writes it) or MySQL's executed GTID set
// (uuid:1-n,...). The stream resumes from file and pos while the server
// still has the stored file: that is exact and cheap, where a GTID start
// makes MariaDB (before 11.4's GTID index) read the binlog file from its
// start up to the GTID, up to max_binlog_size per invocation. When the
// file is gone (the server was replaced by a replica with other file
// names, or the file was purged) and the set is there, the stream
// resumes from the set (COM_BINLOG_DUMP_GTID); if the server purged those
// GTIDs too, that is the purged-position case. Servers without GTIDs
// (MySQL with gtid_mode OFF) keep the set empty.

// gtidFlavor is go-mysql's flavor for this server.
func (s *Source) gtidFlavor() string {
	if s.mariadb {
		return gomysql.MariaDBFlavor
	}
	return gomysql.MySQLFlavor
}

// detectGTIDMode sets s.gtids: MariaDB always writes GTIDs; MySQL only
// with gtid_mode=ON.
func (s *Source) detectGTIDMode(ctx context.Context) error {
	if s.mariadb {
		s.gtids = true
		return nil
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_mode").Scan(&mode); err != nil {
		s.gtids = false // a server without the variable has no GTIDs
		return nil
	}
	s.gtids = strings.EqualFold(mode, "ON")
	return nil
}

// gtidSetAt returns the GTID set of everything before pos, for a starting
// position; "" when the server keeps no GTIDs. mysqlExecuted is SHOW
// MASTER STATUS's Executed_Gtid_Set when pos is the binlog end.
func (s *Source) gtidSetAt(ctx context.Context, pos Position, atEnd bool) (string, error) {
	if !s.gtids {
		return "", nil
	}
	if s.mariadb {
		var set sql.NullString
		if err := s.db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", pos.File, pos.Pos).Scan(&set); err != nil {
			return "", fmt.Errorf("binlog: BINLOG_GTID_POS(%s, %d): %w", pos.File, pos.Pos, err)
		}
		return set.String, nil
	}
	if atEnd {
		return pos.GTIDs, nil // from SHOW MASTER STATUS
	}
	// The oldest binlog file starts after everything purged.
	var purged string
	if err := s.db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_purged").Scan(&purged); err != nil {
		return "", fmt.Errorf("binlog: read gtid_purged: %w", err)
	}
	return strings.ReplaceAll(purged, "\n", ""), nil
}

// gtidCaughtUp reports, for a resume by GTID, whether the stored set
// already holds everything the server has written (its current GTID
// position: @@gtid_binlog_pos on MariaDB, SHOW MASTER STATUS's
// Executed_Gtid_Set on MySQL).
func (s *Source) gtidCaughtUp(ctx context.Context, stored, mysqlExecuted string) (bool, error) {
	server := mysqlExecuted
	if s.mariadb {
		if err := s.db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&server); err != nil {
			return false, fmt.Errorf("binlog: read gtid_binlog_pos: %w", err)
		}
	}
	have, err := gomysql.ParseGTIDSet(s.gtidFlavor(), stored)
	if err != nil {
		return false, errclass.Permanent(fmt.Errorf("binlog: stored GTID set %q: %w", stored, err))
	}
	want, err := gomysql.ParseGTIDSet(s.gtidFlavor(), server)
	if err != nil {
		return false, fmt.Errorf("binlog: server GTID set %q: %w", server, err)
	}
	return have.Contain(want), nil
}

// gtidTracker keeps the GTID set at the reader's last boundary.
type gtidTracker struct {
	set gomysql.GTIDSet // nil: not tracked (no GTIDs on this server, or none stored)
	err error
}

// newGTIDTracker starts from a stored set; an empty one is tracked only
// on MariaDB (where every GTID names its domain, so the set is complete
// once each domain has a transaction) and on MySQL with gtid_mode=ON.
func (s *Source) newGTIDTracker(stored string) *gtidTracker {
	if !s.gtids {
		return &gtidTracker{}
	}
	set, err := gomysql.ParseGTIDSet(s.gtidFlavor(), stored)
	if err != nil {
		return &gtidTracker{err: fmt.Errorf("binlog: stored GTID set %q: %w", stored, err)}
	}
	return &gtidTracker{set: set}
}

// add records one committed transaction's GTID.
func (g *gtidTracker) add(gtid string) {
	if g.set == nil || gtid == "" || g.err != nil {
		return
	}
	if err := g.set.Update(gtid); err != nil {
		g.err = fmt.Errorf("binlog: GTID %q: %w", gtid, err)
	}
}

func (g *gtidTracker) String() string {
	if g.set == nil {
		return ""
	}
	return g.set.String()
}

package binlog

import (
	"encoding/json"
	"fmt"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// Position is the offset this connector stores, shaped like Debezium's
// MySQL offset: the binlog file and the position of the next event after
// the last complete transaction, the GTID set of every transaction up to
// there (MariaDB's GTID position or MySQL's executed set, empty on a
// server without GTIDs; the stream resumes from it when it is set, see
// gtid.go), and the commit time in epoch seconds. It is always a
// transaction boundary.
type Position struct {
	File  string `json:"file"`
	Pos   uint32 `json:"pos"`
	GTIDs string `json:"gtids,omitempty"`
	TsSec int64  `json:"ts_sec,omitempty"`
	// Tables are the shapes of the tables seen so far, valid at this
	// position (see history.go); not a Debezium field.
	Tables map[string]*shape `json:"tables,omitempty"`
	// Snapshot is the progress of snapshot.mode=initial; nil when no
	// snapshot is in progress.
	Snapshot *snapshotState `json:"snapshot,omitempty"`
}

// ParsePosition decodes a stored position; nil or empty means "none yet".
func ParsePosition(p connectors.Position) (Position, bool, error) {
	if len(p) == 0 {
		return Position{}, false, nil
	}
	var pos Position
	if err := json.Unmarshal(p, &pos); err != nil {
		return Position{}, false, fmt.Errorf("binlog: stored offset %s is not a binlog position: %w", p, err)
	}
	if pos.File == "" || pos.Pos < 4 {
		return Position{}, false, fmt.Errorf("binlog: stored offset %s: want a file name and pos >= 4", p)
	}
	return pos, true, nil
}

// Encode returns the JSON the offset store keeps.
func (p Position) Encode() connectors.Position {
	b, _ := json.Marshal(p)
	return connectors.Position(b)
}

// at reports whether p and o name the same place in the binlog.
func (p Position) at(o Position) bool { return p.File == o.File && p.Pos == o.Pos }

// before reports whether p is strictly before file/pos in binlog order.
// Binlog file names share a base and a fixed-width sequence number, so
// they order as strings.
func (p Position) before(file string, pos uint32) bool {
	if p.File != file {
		return p.File < file
	}
	return p.Pos < pos
}

// partition is the single source partition, Debezium's {"server": prefix}.
func partition(prefix string) connectors.Partition {
	return connectors.Partition{"server": prefix}
}

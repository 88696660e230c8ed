package binlog

import (
	"context"
	"errors"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// readsTables reports whether the mode snapshots the captured tables
// (MariaDB only, see snapshot.go).
func (m SnapshotMode) readsTables() bool {
	return m == SnapshotInitial || m == SnapshotWhenNeeded
}

// snapshotWhenPurged is snapshot.mode=when_needed's recovery, as
// Debezium's: a stored position the server no longer has (its binlog file
// or GTIDs purged, found before or while reading) starts the connector
// afresh, as if nothing were stored: a new snapshot of every captured
// table from the current binlog end, whose start position the task
// commits (over the stale one) before anything is read. The changes made
// between the stale position and the new start are not sent as change
// events; the snapshot carries their result.
func (s *Source) snapshotWhenPurged(ctx context.Context, page connectors.Page, err error) (connectors.Page, error) {
	var pe *PurgedError
	if err == nil || !errors.As(err, &pe) {
		return page, err
	}
	s.log.Warn("binlog: the stored position is no longer on the server; snapshot.mode=when_needed snapshots every captured table again",
		"file", pe.Pos.File, "pos", pe.Pos.Pos, "gtids", pe.Pos.GTIDs, "cause", pe.Cause.Error())
	s.closeStream()
	return s.readPage(ctx, nil)
}

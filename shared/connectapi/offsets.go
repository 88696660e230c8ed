package connectapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Messages of successful offsets changes, as Connect words them.
const (
	msgSourceAltered = "The Connect framework-managed offsets for this connector have been altered successfully. " +
		"However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
	msgSinkAltered = "The offsets for this connector have been altered successfully"
	msgReset       = "The offsets for this connector have been reset successfully"
)

// controlLeaseTTL bounds how long an offsets change holds a source's lease.
const controlLeaseTTL = 30 * time.Second

// maxBody bounds request bodies.
const maxBody = 1 << 20

// OffsetEntry is one entry of Connect's offsets body (KIP-875).
type OffsetEntry struct {
	Partition map[string]any  `json:"partition"`
	Offset    json.RawMessage `json:"offset"`
}

// OffsetsBody is GET /connectors/{name}/offsets and the PATCH request body.
type OffsetsBody struct {
	Offsets []OffsetEntry `json:"offsets"`
}

// Message is the body of a successful offsets change.
type Message struct {
	Message string `json:"message"`
}

func (s *Server) getOffsets(w http.ResponseWriter, r *http.Request, c Connector) error {
	body := OffsetsBody{Offsets: []OffsetEntry{}}
	switch c.Kind {
	case config.Source:
		list, err := s.Offsets.List(r.Context(), c.Name)
		if err != nil {
			return err
		}
		for _, po := range list {
			if po.Offset.Position == nil {
				continue // reset: "from the beginning" is no offset
			}
			p := make(map[string]any, len(po.Partition))
			for k, v := range po.Partition {
				p[k] = v
			}
			body.Offsets = append(body.Offsets, OffsetEntry{Partition: p, Offset: json.RawMessage(po.Offset.Position)})
		}
	case config.Sink:
		committed := map[TopicPartition]int64{}
		for g, topics := range c.groups() {
			part, err := s.Groups.Committed(r.Context(), g, topics)
			if err != nil {
				return err
			}
			maps.Copy(committed, part)
		}
		tps := make([]TopicPartition, 0, len(committed))
		for tp := range committed {
			tps = append(tps, tp)
		}
		slices.SortFunc(tps, func(a, b TopicPartition) int {
			return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
		})
		for _, tp := range tps {
			off, _ := json.Marshal(map[string]int64{"kafka_offset": committed[tp]})
			body.Offsets = append(body.Offsets, OffsetEntry{
				Partition: map[string]any{"kafka_topic": tp.Topic, "kafka_partition": tp.Partition},
				Offset:    off,
			})
		}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// requireStopped answers Connect's 400 unless the connector is STOPPED.
func (s *Server) requireStopped(ctx context.Context, c Connector) error {
	ts, err := s.Targets.Get(ctx, c.Name)
	if err != nil {
		return err
	}
	if ts.State != state.StateStopped {
		return Errorf(http.StatusBadRequest,
			"Connectors must be in the STOPPED state before their offsets can be modified; connector %s is %s. "+
				"Stop it with PUT /connectors/%s/stop first", c.Name, ts.State, c.Name)
	}
	return nil
}

// readOffsets decodes a PATCH body strictly; errors name the field.
func readOffsets(r *http.Request) (OffsetsBody, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return OffsetsBody{}, Errorf(http.StatusBadRequest, "reading request body: %v", err)
	}
	if len(raw) > maxBody {
		return OffsetsBody{}, Errorf(http.StatusBadRequest, "request body is larger than %d bytes", maxBody)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return OffsetsBody{}, Errorf(http.StatusBadRequest, "request body is not a JSON object: %v", err)
	}
	for k := range top {
		if k != "offsets" {
			return OffsetsBody{}, Errorf(http.StatusBadRequest, "unknown field %q; want {\"offsets\":[{\"partition\":{...},\"offset\":{...}}]}", k)
		}
	}
	list, ok := top["offsets"]
	if !ok || bytes.Equal(bytes.TrimSpace(list), []byte("null")) {
		return OffsetsBody{}, Errorf(http.StatusBadRequest, "field offsets is missing; want {\"offsets\":[{\"partition\":{...},\"offset\":{...}}]}")
	}
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(list, &entries); err != nil {
		return OffsetsBody{}, Errorf(http.StatusBadRequest, "field offsets: want an array of {\"partition\":{...},\"offset\":{...}}: %v", err)
	}
	if len(entries) == 0 {
		return OffsetsBody{}, Errorf(http.StatusBadRequest, "field offsets is empty")
	}
	out := OffsetsBody{Offsets: make([]OffsetEntry, 0, len(entries))}
	for i, e := range entries {
		if e == nil {
			return OffsetsBody{}, Errorf(http.StatusBadRequest, "offsets[%d]: want an object", i)
		}
		for k := range e {
			if k != "partition" && k != "offset" {
				return OffsetsBody{}, Errorf(http.StatusBadRequest, "offsets[%d]: unknown field %q", i, k)
			}
		}
		var p map[string]any
		if err := json.Unmarshal(e["partition"], &p); err != nil || p == nil {
			return OffsetsBody{}, Errorf(http.StatusBadRequest, "offsets[%d].partition: want a JSON object", i)
		}
		off, ok := e["offset"]
		if !ok {
			return OffsetsBody{}, Errorf(http.StatusBadRequest, "offsets[%d].offset is missing (null resets the partition)", i)
		}
		off = bytes.TrimSpace(off)
		if bytes.Equal(off, []byte("null")) {
			off = nil
		} else if len(off) == 0 || off[0] != '{' {
			return OffsetsBody{}, Errorf(http.StatusBadRequest, "offsets[%d].offset: want a JSON object or null", i)
		}
		out.Offsets = append(out.Offsets, OffsetEntry{Partition: p, Offset: off})
	}
	return out, nil
}

func (s *Server) alterOffsets(w http.ResponseWriter, r *http.Request, c Connector) error {
	body, err := readOffsets(r)
	if err != nil {
		return err
	}
	if err := s.requireStopped(r.Context(), c); err != nil {
		return err
	}
	msg := msgSinkAltered
	if c.Kind == config.Source {
		msg = msgSourceAltered
		err = s.alterSource(r, c, body)
	} else {
		err = s.alterSink(r, c, body)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Message{Message: msg})
	return nil
}

func (s *Server) resetOffsets(w http.ResponseWriter, r *http.Request, c Connector) error {
	if err := s.requireStopped(r.Context(), c); err != nil {
		return err
	}
	var err error
	if c.Kind == config.Source {
		err = s.resetSource(r, c)
	} else {
		err = s.resetSink(r, c)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Message{Message: msgReset})
	return nil
}

// sourceChange is one checked source offset write.
type sourceChange struct {
	p   connectors.Partition
	pos connectors.Position // nil: reset the partition
}

func (s *Server) alterSource(r *http.Request, c Connector, body OffsetsBody) error {
	changes := make([]sourceChange, 0, len(body.Offsets))
	for i, e := range body.Offsets {
		p := connectors.Partition{}
		for k, v := range e.Partition {
			sv, ok := v.(string)
			if !ok {
				return Errorf(http.StatusBadRequest, "offsets[%d].partition.%s: want a string, got %v", i, k, v)
			}
			p[k] = sv
		}
		pos, err := checkSourceOffset(c, p, e.Offset)
		if err != nil {
			return Errorf(http.StatusBadRequest, "offsets[%d].%v", i, err)
		}
		changes = append(changes, sourceChange{p: p, pos: pos})
	}
	return s.writeSource(r, c, "alter-offsets", changes)
}

func (s *Server) resetSource(r *http.Request, c Connector) error {
	list, err := s.Offsets.List(r.Context(), c.Name)
	if err != nil {
		return err
	}
	var changes []sourceChange
	for _, po := range list {
		if po.Offset.Position != nil {
			changes = append(changes, sourceChange{p: po.Partition})
		}
	}
	return s.writeSource(r, c, "reset-offsets", changes)
}

// writeSource applies checked changes under the connector's lease, fenced
// by its counter, so a poller that took the lease before the stop cannot
// overwrite them and none can start meanwhile. A held lease is 409.
func (s *Server) writeSource(r *http.Request, c Connector, action string, changes []sourceChange) error {
	ctx := r.Context()
	by := s.principal(r)
	lease, err := s.Leases.Acquire(ctx, c.Name, "control-api:"+by, controlLeaseTTL)
	if err != nil {
		var held *state.LeaseHeldError
		if errors.As(err, &held) {
			return Errorf(http.StatusConflict, "connector %s: a poller still holds its lease (%s until %s); retry when it ends",
				c.Name, held.Holder, held.ExpiresAt.Format(time.RFC3339))
		}
		return err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.Leases.Release(rctx, lease); err != nil {
			s.log().Warn("control lease release failed; it expires on its own", "connector", c.Name, "err", err.Error())
		}
	}()
	var done []string
	for _, ch := range changes {
		cur, err := s.Offsets.Get(ctx, c.Name, ch.p)
		if err != nil {
			return partial(err, done)
		}
		if _, err := s.Offsets.Commit(ctx, lease, ch.p, ch.pos, cur.Version); err != nil {
			return partial(err, done)
		}
		done = append(done, ch.p.String())
	}
	detail := strings.Join(done, " ")
	if err := s.Targets.Record(ctx, c.Name, action, by, detail); err != nil {
		return err
	}
	s.log().Info("source offsets changed", "connector", c.Name, "action", action, "partitions", done, "by", by)
	return nil
}

// partial names what was already written when a later write failed.
func partial(err error, done []string) error {
	if len(done) == 0 {
		return err
	}
	return fmt.Errorf("%w (already written before the failure: %s)", err, strings.Join(done, " "))
}

// requireIdleGroup checks that the sink's mapping is disabled and its
// consumer group has no members, so no poller can commit over the change.
func (s *Server) requireIdleGroup(ctx context.Context, c Connector) error {
	if s.Mappings != nil {
		off, err := s.Mappings.Disabled(ctx, c)
		if err != nil {
			return err
		}
		if !off {
			return Errorf(http.StatusConflict, "connector %s: its event source mapping is still being disabled; retry shortly", c.Name)
		}
	}
	for _, g := range slices.Sorted(maps.Keys(c.groups())) {
		st, members, err := s.Groups.State(ctx, g)
		if err != nil {
			return err
		}
		if members > 0 {
			return Errorf(http.StatusConflict, "connector %s: consumer group %s still has %d member(s) (state %s); retry when the stopped mapping has left it",
				c.Name, g, members, st)
		}
	}
	return nil
}

func (s *Server) alterSink(r *http.Request, c Connector, body OffsetsBody) error {
	ctx := r.Context()
	counts, err := s.Groups.Partitions(ctx, c.Topics)
	if err != nil {
		return err
	}
	commit := map[string]map[TopicPartition]int64{} // by group
	remove := map[string][]TopicPartition{}
	for i, e := range body.Offsets {
		tp, err := sinkPartition(e.Partition, c, counts)
		if err != nil {
			return Errorf(http.StatusBadRequest, "offsets[%d].partition%v", i, err)
		}
		g := c.groupOf(tp.Topic)
		if e.Offset == nil {
			remove[g] = append(remove[g], tp)
			continue
		}
		var off map[string]json.RawMessage
		if err := json.Unmarshal(e.Offset, &off); err != nil {
			return Errorf(http.StatusBadRequest, "offsets[%d].offset: %v", i, err)
		}
		for k := range off {
			if k != "kafka_offset" {
				return Errorf(http.StatusBadRequest, "offsets[%d].offset: unknown field %q; want {\"kafka_offset\":N}", i, k)
			}
		}
		var n int64
		if err := json.Unmarshal(off["kafka_offset"], &n); err != nil || n < 0 {
			return Errorf(http.StatusBadRequest, "offsets[%d].offset.kafka_offset: want a non-negative integer, got %s", i, string(off["kafka_offset"]))
		}
		if commit[g] == nil {
			commit[g] = map[TopicPartition]int64{}
		}
		commit[g][tp] = n
	}
	if err := s.requireIdleGroup(ctx, c); err != nil {
		return err
	}
	by := s.principal(r)
	var done []string
	set, unset := 0, 0
	for _, g := range slices.Sorted(maps.Keys(commit)) {
		if err := s.Groups.Commit(ctx, g, commit[g]); err != nil {
			return partial(err, done)
		}
		done = append(done, "group "+g+" committed")
		set += len(commit[g])
	}
	for _, g := range slices.Sorted(maps.Keys(remove)) {
		if err := s.Groups.DeleteOffsets(ctx, g, remove[g]); err != nil {
			return partial(err, done)
		}
		done = append(done, "group "+g+" offsets deleted")
		unset += len(remove[g])
	}
	detail := fmt.Sprintf("%d set, %d reset (%s)", set, unset, strings.Join(done, ", "))
	if err := s.Targets.Record(ctx, c.Name, "alter-offsets", by, detail); err != nil {
		return err
	}
	s.log().Info("sink offsets changed", "connector", c.Name, "set", set, "reset", unset, "by", by)
	return nil
}

// sinkPartition checks {"kafka_topic":T,"kafka_partition":N}: T must be
// one of the sink's topics and N one of its partitions. The error starts
// with the field path after "partition".
func sinkPartition(p map[string]any, c Connector, counts map[string]int32) (TopicPartition, error) {
	for k := range p {
		if k != "kafka_topic" && k != "kafka_partition" {
			return TopicPartition{}, fmt.Errorf(": unknown field %q; want {\"kafka_topic\":...,\"kafka_partition\":...}", k)
		}
	}
	topic, ok := p["kafka_topic"].(string)
	if !ok {
		return TopicPartition{}, fmt.Errorf(".kafka_topic: want a string")
	}
	if !slices.Contains(c.Topics, topic) {
		return TopicPartition{}, fmt.Errorf(".kafka_topic %q: connector %s consumes %s", topic, c.Name, strings.Join(c.Topics, ", "))
	}
	f, ok := p["kafka_partition"].(float64)
	if !ok || f != float64(int32(f)) || f < 0 {
		return TopicPartition{}, fmt.Errorf(".kafka_partition: want a non-negative integer, got %v", p["kafka_partition"])
	}
	if n := counts[topic]; int32(f) >= n {
		return TopicPartition{}, fmt.Errorf(".kafka_partition %d: topic %s has %d partition(s)", int32(f), topic, n)
	}
	return TopicPartition{Topic: topic, Partition: int32(f)}, nil
}

func (s *Server) resetSink(r *http.Request, c Connector) error {
	ctx := r.Context()
	if err := s.requireIdleGroup(ctx, c); err != nil {
		return err
	}
	var done []string
	for _, g := range slices.Sorted(maps.Keys(c.groups())) {
		if err := s.Groups.Delete(ctx, g); err != nil {
			return partial(err, done)
		}
		done = append(done, g)
	}
	by := s.principal(r)
	if err := s.Targets.Record(ctx, c.Name, "reset-offsets", by, "groups deleted: "+strings.Join(done, " ")); err != nil {
		return err
	}
	s.log().Info("sink offsets reset", "connector", c.Name, "groups", done, "by", by)
	return nil
}

package connectapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// EndOffsets reads topics' log end offsets (high watermarks); KafkaGroups
// satisfies it. A Server whose Groups also implement EndOffsets serves sink
// lag.
type EndOffsets interface {
	Ends(ctx context.Context, topics []string) (map[TopicPartition]int64, error)
}

// Head is how far a source's table has got (connectors.TableHead).
type Head = connectors.TableHead

// Heads reads the head of a source partition's table; PluginHeads
// satisfies it.
type Heads interface {
	Head(ctx context.Context, c Connector, p connectors.Partition) (Head, error)
}

// SinkLag is one partition of a sink's lag: the group's committed offset
// (-1: none yet, the sink starts at its starting position) against the
// partition's high watermark.
type SinkLag struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Group     string `json:"group"`
	Committed int64  `json:"committed"`
	End       int64  `json:"end"`
	Lag       int64  `json:"lag"`
}

// SourceLag is one partition of a source: its committed offset, the
// table's head and the gap between them (head minus offset, per field).
// HeadError says why the head could not be read.
type SourceLag struct {
	Partition map[string]string `json:"partition"`
	Offset    json.RawMessage   `json:"offset"`
	Head      *Head             `json:"head,omitempty"`
	Behind    *Head             `json:"behind,omitempty"`
	HeadError string            `json:"head_error,omitempty"`
}

// LagBody is GET /connectors/{name}/lag, an slkc extension of Connect's
// API: Sink is set for a sink, Source for a source. Total is the sink's
// summed lag.
type LagBody struct {
	Name   string      `json:"name"`
	Type   string      `json:"type"`
	Sink   []SinkLag   `json:"sink,omitempty"`
	Total  int64       `json:"total_lag"`
	Source []SourceLag `json:"source,omitempty"`
}

func (s *Server) lag(w http.ResponseWriter, r *http.Request, c Connector) error {
	body := LagBody{Name: c.Name, Type: c.Type()}
	var err error
	if c.Kind == config.Sink {
		body.Sink, body.Total, err = s.sinkLag(r.Context(), c)
	} else {
		body.Source, err = s.sourceLag(r.Context(), c)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// sinkLag compares each partition's committed offset with its end.
func (s *Server) sinkLag(ctx context.Context, c Connector) ([]SinkLag, int64, error) {
	ends, ok := s.Groups.(EndOffsets)
	if !ok || s.Groups == nil {
		return nil, 0, Errorf(http.StatusNotImplemented, "this control plane cannot read topic end offsets")
	}
	hw, err := ends.Ends(ctx, c.Topics)
	if err != nil {
		return nil, 0, err
	}
	out := make([]SinkLag, 0, len(hw))
	var total int64
	for g, topics := range c.groups() {
		committed, err := s.Groups.Committed(ctx, g, topics)
		if err != nil {
			return nil, 0, err
		}
		for tp, end := range hw {
			if !slices.Contains(topics, tp.Topic) {
				continue
			}
			l := SinkLag{Topic: tp.Topic, Partition: tp.Partition, Group: g, Committed: -1, End: end, Lag: end}
			if at, ok := committed[tp]; ok {
				l.Committed, l.Lag = at, max(0, end-at)
			}
			total += l.Lag
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b SinkLag) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out, total, nil
}

// sourceLag reads each committed partition and, when Heads is set, the
// table's head. A head that cannot be read is reported on its partition,
// not as a failed request: the offsets are still worth showing.
func (s *Server) sourceLag(ctx context.Context, c Connector) ([]SourceLag, error) {
	list, err := s.Offsets.List(ctx, c.Name)
	if err != nil {
		return nil, err
	}
	out := make([]SourceLag, 0, len(list))
	for _, po := range list {
		l := SourceLag{Partition: maps.Clone(map[string]string(po.Partition)), Offset: json.RawMessage("null")}
		if po.Offset.Position != nil {
			l.Offset = json.RawMessage(po.Offset.Position)
		}
		switch {
		case s.Heads == nil:
			l.HeadError = "this control plane does not read source tables"
		default:
			h, err := s.Heads.Head(ctx, c, po.Partition)
			if err != nil {
				l.HeadError = err.Error()
				break
			}
			l.Head = &h
			l.Behind = behind(c, h, po.Offset.Position)
		}
		out = append(out, l)
	}
	return out, nil
}

// behind is head minus the committed position, per field; a field with no
// committed value counts from zero (the source has not read it yet). The
// connector's plugin reads the position (Plugin.PositionHead); nil when it
// cannot.
func behind(c Connector, h Head, pos connectors.Position) *Head {
	p, err := connectors.Lookup(c.Class)
	if err != nil || p.PositionHead == nil {
		return nil
	}
	sp, err := p.PositionHead(pos)
	if err != nil {
		return nil
	}
	gap := func(head, at *int64) *int64 {
		if head == nil {
			return nil
		}
		d := *head
		if at != nil {
			d = max(0, *head-*at)
		}
		return &d
	}
	return &Head{Incrementing: gap(h.Incrementing, sp.Incrementing), Timestamp: gap(h.Timestamp, sp.Timestamp)}
}

// Ends returns the high watermark of every partition of topics.
func (k KafkaGroups) Ends(ctx context.Context, topics []string) (map[TopicPartition]int64, error) {
	res, err := k.Admin.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("connectapi: list end offsets: %w", err)
	}
	out := map[TopicPartition]int64{}
	var firstErr error
	res.Each(func(o kadm.ListedOffset) {
		if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
			return // not created yet: nothing to lag behind
		}
		if o.Err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("connectapi: end offset of %s[%d]: %w", o.Topic, o.Partition, o.Err)
			}
			return
		}
		out[TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.Offset
	})
	return out, firstErr
}

package connectapi

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Record reading bounds of the DLQ browser.
const (
	// DefaultPageSize is the records per page when limit is not given.
	DefaultPageSize = 20
	// MaxPageSize bounds limit.
	MaxPageSize = 200
	// readWait bounds how long one page read waits for records that the
	// partition's offsets say are there.
	readWait = 10 * time.Second
)

// Bytes is a key, value or header value as the UI shows it: the text when
// it is valid UTF-8, else base64 with Base64 set. Null is a Kafka null.
type Bytes struct {
	Text   string `json:"text"`
	Base64 bool   `json:"base64,omitempty"`
	Null   bool   `json:"null,omitempty"`
}

func bytesOf(b []byte) Bytes {
	switch {
	case b == nil:
		return Bytes{Null: true}
	case utf8.Valid(b):
		return Bytes{Text: string(b)}
	}
	return Bytes{Text: base64.StdEncoding.EncodeToString(b), Base64: true}
}

// Header is one record header.
type Header struct {
	Key   string `json:"key"`
	Value Bytes  `json:"value"`
}

// TopicRecord is one record read from a topic.
type TopicRecord struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Timestamp int64    `json:"timestamp"`
	Key       Bytes    `json:"key"`
	Value     Bytes    `json:"value"`
	Headers   []Header `json:"headers"`
}

// PartitionRange is a partition's first and next offsets.
type PartitionRange struct {
	Partition int32 `json:"partition"`
	Start     int64 `json:"start"`
	End       int64 `json:"end"`
}

// Records reads pages of a topic; KafkaRecords satisfies it.
type Records interface {
	// Ranges returns each partition's start and end offsets (none for a
	// topic that does not exist).
	Ranges(ctx context.Context, topic string) ([]PartitionRange, error)
	// Read returns up to limit records of topic's partition from offset on.
	Read(ctx context.Context, topic string, partition int32, offset int64, limit int) ([]TopicRecord, error)
}

// DLQPage is GET /connectors/{name}/dlq, an slkc extension of Connect's
// API: a page of the sink's dead letter queue topic
// (errors.deadletterqueue.topic.name). Next is the offset of the next page
// of Partition (equal to its end when this page reached it).
type DLQPage struct {
	Topic      string           `json:"topic"`
	Partitions []PartitionRange `json:"partitions"`
	Partition  int32            `json:"partition"`
	Offset     int64            `json:"offset"`
	Next       int64            `json:"next"`
	Records    []TopicRecord    `json:"records"`
}

// dlq serves a page: ?partition=N (default 0), &offset=M (default the
// partition's start), &limit=K (default DefaultPageSize, at most
// MaxPageSize).
func (s *Server) dlq(w http.ResponseWriter, r *http.Request, c Connector) error {
	if c.Kind != config.Sink {
		return Errorf(http.StatusBadRequest, "connector %s is a source: only sinks have a dead letter queue", c.Name)
	}
	topic := strings.TrimSpace(c.Config[config.KeyDLQTopic])
	if topic == "" {
		return Errorf(http.StatusNotFound, "connector %s has no %s", c.Name, config.KeyDLQTopic)
	}
	if strings.Contains(topic, "${") {
		return Errorf(http.StatusNotImplemented, "connector %s: %s is a reference (%s) the control plane does not resolve", c.Name, config.KeyDLQTopic, topic)
	}
	if s.Records == nil {
		return Errorf(http.StatusNotImplemented, "this control plane cannot read topics")
	}
	q := r.URL.Query()
	intParam := func(name string, def, lo, hi int64) (int64, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < lo || n > hi {
			return 0, Errorf(http.StatusBadRequest, "query parameter %s=%q: want an integer from %d to %d", name, v, lo, hi)
		}
		return n, nil
	}
	part, err := intParam("partition", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	limit, err := intParam("limit", DefaultPageSize, 1, MaxPageSize)
	if err != nil {
		return err
	}
	ranges, err := s.Records.Ranges(r.Context(), topic)
	if err != nil {
		return err
	}
	page := DLQPage{Topic: topic, Partitions: ranges, Partition: int32(part), Records: []TopicRecord{}}
	i := slices.IndexFunc(ranges, func(p PartitionRange) bool { return p.Partition == int32(part) })
	if i < 0 {
		if len(ranges) == 0 && part == 0 {
			writeJSON(w, http.StatusOK, page) // no DLQ topic yet: nothing was dead-lettered
			return nil
		}
		return Errorf(http.StatusBadRequest, "query parameter partition=%d: topic %s has %d partition(s)", part, topic, len(ranges))
	}
	pr := ranges[i]
	offset, err := intParam("offset", pr.Start, 0, 1<<62)
	if err != nil {
		return err
	}
	offset = max(offset, pr.Start)
	page.Offset, page.Next = offset, offset
	if offset < pr.End {
		n := min(limit, pr.End-offset)
		recs, err := s.Records.Read(r.Context(), topic, int32(part), offset, int(n))
		if err != nil {
			return err
		}
		page.Records = recs
		if len(recs) > 0 {
			page.Next = recs[len(recs)-1].Offset + 1
		}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// KafkaRecords implements Records with short-lived franz-go consumers
// (no consumer group, nothing committed) built from Opts, the cluster's
// connection options (seeds, TLS, SASL).
type KafkaRecords struct {
	Opts []kgo.Opt
}

var _ Records = KafkaRecords{}

// Ranges lists the topic's partitions with their start and end offsets.
func (k KafkaRecords) Ranges(ctx context.Context, topic string) ([]PartitionRange, error) {
	cl, err := kgo.NewClient(k.Opts...)
	if err != nil {
		return nil, fmt.Errorf("connectapi: kafka client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("connectapi: start offsets of %s: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("connectapi: end offsets of %s: %w", topic, err)
	}
	var out []PartitionRange
	for p, so := range starts[topic] {
		if so.Err != nil {
			if errors.Is(so.Err, kerr.UnknownTopicOrPartition) {
				return nil, nil
			}
			return nil, fmt.Errorf("connectapi: start offset of %s[%d]: %w", topic, p, so.Err)
		}
		eo, ok := ends.Lookup(topic, p)
		if !ok || eo.Err != nil {
			return nil, fmt.Errorf("connectapi: end offset of %s[%d]: %v", topic, p, eo.Err)
		}
		out = append(out, PartitionRange{Partition: p, Start: so.Offset, End: eo.Offset})
	}
	slices.SortFunc(out, func(a, b PartitionRange) int { return cmp.Compare(a.Partition, b.Partition) })
	return out, nil
}

// Read consumes partition from offset until limit records, the partition's
// end, or readWait.
func (k KafkaRecords) Read(ctx context.Context, topic string, partition int32, offset int64, limit int) ([]TopicRecord, error) {
	opts := append(append([]kgo.Opt{}, k.Opts...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {partition: kgo.NewOffset().At(offset)},
	}))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("connectapi: kafka client: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, readWait)
	defer cancel()
	out := make([]TopicRecord, 0, limit)
	next := offset
	for len(out) < limit {
		fs := cl.PollRecords(ctx, limit-len(out))
		if err := ctx.Err(); err != nil {
			if len(out) > 0 && errors.Is(err, context.DeadlineExceeded) {
				break // a page shorter than asked is still a page
			}
			return nil, fmt.Errorf("connectapi: reading %s[%d] from %d: %w", topic, partition, offset, err)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("connectapi: reading %s[%d]: %w", t, p, err))
		})
		if ferr != nil {
			return nil, ferr
		}
		atEnd := false
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			for _, r := range p.Records {
				if len(out) >= limit {
					break
				}
				tr := TopicRecord{Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UnixMilli(),
					Key: bytesOf(r.Key), Value: bytesOf(r.Value), Headers: make([]Header, 0, len(r.Headers))}
				for _, h := range r.Headers {
					tr.Headers = append(tr.Headers, Header{Key: h.Key, Value: bytesOf(h.Value)})
				}
				out = append(out, tr)
				next = r.Offset + 1
			}
			// Nothing more to wait for: the page ends at the partition's end.
			atEnd = atEnd || p.HighWatermark <= next
		})
		if atEnd {
			break
		}
	}
	return out, nil
}

package connectapi_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestKafkaRecordsAndEnds reads pages of a real topic: ranges, a page from
// an offset with headers and binary content, a short last page, a topic
// that does not exist; and the end offsets the sink lag uses.
func TestKafkaRecordsAndEnds(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 2)
	cl := env.Kafka(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx := context.Background()
	for i := range 5 {
		r := &kgo.Record{Topic: topic, Partition: 1, Key: []byte{byte(i), 0xff}, Value: []byte("<v>"),
			Headers: []kgo.RecordHeader{{Key: "__connect.errors.offset", Value: []byte{'0' + byte(i)}}}}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	sent := &requestLog{}
	recs := connectapi.KafkaRecords{Opts: []kgo.Opt{kgo.SeedBrokers(env.Seeds()...), kgo.WithHooks(sent)}}
	ranges, err := recs.Ranges(ctx, topic)
	if err != nil || len(ranges) != 2 || ranges[0] != (connectapi.PartitionRange{Partition: 0}) || ranges[1] != (connectapi.PartitionRange{Partition: 1, End: 5}) {
		t.Fatalf("Ranges = %+v, %v; want p0 empty, p1 0..5", ranges, err)
	}
	page, err := recs.Read(ctx, topic, 1, 2, 2)
	if err != nil || len(page) != 2 || page[0].Offset != 2 || page[1].Offset != 3 {
		t.Fatalf("Read(2, 2) = %+v, %v", page, err)
	}
	r := page[0]
	if !r.Key.Base64 || r.Key.Text != "Av8=" || r.Value.Text != "<v>" || len(r.Headers) != 1 || r.Headers[0].Value.Text != "2" {
		t.Errorf("record = %+v, want a base64 key, the text value and its header", r)
	}
	if last, err := recs.Read(ctx, topic, 1, 4, 1); err != nil || len(last) != 1 || last[0].Offset != 4 {
		t.Errorf("Read(4, 1) = %+v, %v", last, err)
	}
	if tail, err := recs.Read(ctx, topic, 1, 3, 10); err != nil || len(tail) != 2 {
		t.Errorf("Read(3, 10) = %+v, %v; want the 2 records up to the end", tail, err)
	}
	if none, err := recs.Ranges(ctx, topic+"-missing"); err != nil || len(none) != 0 {
		t.Errorf("Ranges of a missing topic = %+v, %v; want none", none, err)
	}
	// The DLQ browser's requests are those the control API's MSK grants
	// cover (infra/stack grantMSKControl): Metadata, ListOffsets and
	// OffsetForLeaderEpoch need DescribeTopic, Fetch ReadData. No group
	// request (FindCoordinator, JoinGroup, OffsetCommit), no produce, no
	// topic creation.
	names := sent.names()
	if !slices.Contains(names, "Fetch") || !slices.Contains(names, "ListOffsets") {
		t.Errorf("KafkaRecords sent %v, want Fetch and ListOffsets among them", names)
	}
	for _, k := range names {
		if !slices.Contains([]string{"ApiVersions", "Metadata", "ListOffsets", "OffsetForLeaderEpoch", "Fetch"}, k) {
			t.Errorf("KafkaRecords sent a %s request", k)
		}
	}
	ends, err := connectapi.KafkaGroups{Admin: env.KafkaAdmin(t)}.Ends(ctx, []string{topic, topic + "-missing"})
	if err != nil || len(ends) != 2 || ends[connectapi.TopicPartition{Topic: topic, Partition: 1}] != 5 {
		t.Errorf("Ends = %v, %v; want p0 0, p1 5 and nothing for the missing topic", ends, err)
	}
}

// requestLog records the kinds of request a client writes to brokers.
type requestLog struct {
	mu   sync.Mutex
	keys []int16
}

var _ kgo.HookBrokerWrite = (*requestLog)(nil)

func (l *requestLog) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, _ error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.keys, key) {
		l.keys = append(l.keys, key)
	}
}

func (l *requestLog) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.keys))
	for i, k := range l.keys {
		out[i] = kmsg.NameForKey(k)
	}
	return out
}

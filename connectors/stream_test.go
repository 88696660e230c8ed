package connectors

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func streamOf(n int) (*Stream, []connect.Record) {
	recs := make([]connect.Record, n)
	for i := range recs {
		recs[i].Offset = int64(i)
	}
	return NewStream(recs), recs
}

func TestStreamHandsOutInOrder(t *testing.T) {
	s, _ := streamOf(10)
	ctx := context.Background()
	s.Publish(3)
	s.Publish(5) // two publishes before Next: one part
	part, from, err := s.Next(ctx)
	if err != nil || from != 0 || len(part) != 5 || part[4].Offset != 4 {
		t.Fatalf("first part: %d records from %d, %v; want 5 from 0", len(part), from, err)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		s.Publish(8)
		s.End()
	}()
	part, from, err = s.Next(ctx) // waits for the publish
	if err != nil || from != 5 || len(part) != 3 || part[0].Offset != 5 {
		t.Fatalf("second part: %d records from %d, %v; want 3 from 5", len(part), from, err)
	}
	if _, _, err = s.Next(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("after the end: %v, want io.EOF", err)
	}
	if got := len(s.Taken()); got != 8 {
		t.Errorf("taken %d, want 8", got)
	}
}

func TestStreamDrain(t *testing.T) {
	s, _ := streamOf(10)
	s.Publish(2)
	if _, _, err := s.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.Publish(6)
		s.Publish(9)
		s.End()
	}()
	all, err := s.Drain(context.Background())
	if err != nil || len(all) != 9 || all[8].Offset != 8 {
		t.Fatalf("drain: %d records, %v; want 9", len(all), err)
	}
}

func TestStreamAbortAndCancel(t *testing.T) {
	s, _ := streamOf(4)
	s.Publish(2)
	s.Abort()
	if _, _, err := s.Next(context.Background()); !errors.Is(err, ErrStreamAborted) {
		t.Errorf("aborted stream with records left: %v, want ErrStreamAborted", err)
	}
	if _, err := s.Drain(context.Background()); !errors.Is(err, ErrStreamAborted) {
		t.Errorf("drain of an aborted stream: %v, want ErrStreamAborted", err)
	}

	s, _ = streamOf(4)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("nothing published: %v, want the context's error", err)
	}
}

func TestStreamPublishOutOfOrderPanics(t *testing.T) {
	s, _ := streamOf(4)
	s.Publish(3)
	for _, n := range []int{2, 5} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Publish(%d) after Publish(3) of 4 did not panic", n)
				}
			}()
			s.Publish(n)
		}()
	}
}

// Package reliability is the fault-injection and bad-input suite: the fault
// matrix of the source and sink paths, run against the real local stack
// (Kafka, DynamoDB Local, MariaDB) with injected faults, and the config-key
// coverage check. The tests are in this package's *_test.go files; this
// file holds what they share: the seed, the repetition count, the TCP
// proxy used to cut a service, and the tally of figures.
//
// Every randomized case prints its seed (SLKC_SEED replays it) and runs
// Runs() times: 2 by default (the fast subset `go test ./...` runs), or
// SLKC_RELIABILITY_RUNS (what `make reliability` sets).
package reliability

import (
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRuns is the repetition count when SLKC_RELIABILITY_RUNS is unset.
const DefaultRuns = 2

// Runs returns SLKC_RELIABILITY_RUNS, or DefaultRuns when it is unset or
// not a positive integer.
func Runs() int {
	if n, err := strconv.Atoi(os.Getenv("SLKC_RELIABILITY_RUNS")); err == nil && n > 0 {
		return n
	}
	return DefaultRuns
}

// Seed returns SLKC_SEED when set (to replay a failure), else a fresh seed
// from the clock.
func Seed() uint64 {
	if s, err := strconv.ParseUint(os.Getenv("SLKC_SEED"), 10, 64); err == nil {
		return s
	}
	return uint64(time.Now().UnixNano())
}

// NewRand returns a deterministic generator for seed.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// Figures are the counts of one matrix case.
type Figures struct {
	Runs, Passes int
	// Duplicates are records delivered more than once (at-least-once) whose
	// second effect the idempotent sink removed.
	Duplicates int
	// DeadLettered are records sent to the dead-letter topic.
	DeadLettered int
}

// Tally accumulates Figures per case. Safe for concurrent use.
type Tally struct {
	mu    sync.Mutex
	cases map[string]*Figures
}

// Add adds f to the figures of case name.
func (t *Tally) Add(name string, f Figures) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cases == nil {
		t.cases = map[string]*Figures{}
	}
	c := t.cases[name]
	if c == nil {
		c = &Figures{}
		t.cases[name] = c
	}
	c.Runs += f.Runs
	c.Passes += f.Passes
	c.Duplicates += f.Duplicates
	c.DeadLettered += f.DeadLettered
}

// Lines renders one "RELIABILITY case=... runs=... passes=..." line per
// case, sorted by name, then a total line over the fault-matrix cases
// (cases named config-keys/... count keys, not runs, and are left out of
// the total).
func (t *Tally) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := slices.Sorted(maps.Keys(t.cases))
	var out []string
	var total Figures
	for _, n := range names {
		c := t.cases[n]
		out = append(out, fmt.Sprintf("RELIABILITY case=%s runs=%d passes=%d duplicates_removed=%d dead_lettered=%d",
			n, c.Runs, c.Passes, c.Duplicates, c.DeadLettered))
		if strings.HasPrefix(n, "config-keys/") {
			continue
		}
		total.Runs += c.Runs
		total.Passes += c.Passes
		total.Duplicates += c.Duplicates
		total.DeadLettered += c.DeadLettered
	}
	if len(names) > 0 {
		out = append(out, fmt.Sprintf("RELIABILITY case=TOTAL runs=%d passes=%d duplicates_removed=%d dead_lettered=%d",
			total.Runs, total.Passes, total.Duplicates, total.DeadLettered))
	}
	return out
}

// Proxy is a TCP proxy on 127.0.0.1 in front of one service. Cut closes
// every open connection and refuses new ones (the service looks stopped to
// its clients) until Restore. It exists so a test can make a shared service
// unavailable to its own clients without touching the service.
type Proxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	done  chan struct{}
}

// NewProxy listens on a free loopback port and forwards to target
// (host:port). Close it when done.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("reliability: proxy to %s: %w", target, err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			close(p.done)
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *Proxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut drops every connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// Restore accepts connections again after Cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// Close stops the proxy and drops its connections.
func (p *Proxy) Close() error {
	p.Cut()
	err := p.ln.Close()
	<-p.done
	return err
}

// HostPort extracts host:port from an http URL or returns s unchanged.
func HostPort(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "http://"), "https://")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return s
}

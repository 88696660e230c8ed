package bridge

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultGateEvery is how often a Gate reads its Enabled flag.
const DefaultGateEvery = 500 * time.Millisecond

// Gate runs a Mapping only while Enabled reports true, as the Enabled flag
// of a Lambda event source mapping does: disabling ends the running bridge
// (its consumer leaves the group, so the group becomes empty and its offsets
// can be changed; a batch not yet committed is delivered again later), and
// enabling starts a fresh bridge that resumes from the group's committed
// offsets. slkc-local points Enabled at the connector's target state in
// DynamoDB, which the control plane's pause/resume/stop write.
type Gate struct {
	m       Mapping
	inv     Invoker
	log     *slog.Logger
	enabled func(ctx context.Context) (bool, error)
	// Every is the flag's polling interval; 0 means DefaultGateEvery.
	Every time.Duration

	mu    sync.Mutex
	first *Bridge // built by NewGate, so the mapping is validated up front
	cur   *Bridge
}

// NewGate validates m as New does and returns a gate over it.
func NewGate(m Mapping, inv Invoker, logger *slog.Logger, enabled func(ctx context.Context) (bool, error)) (*Gate, error) {
	b, err := New(m, inv, logger)
	if err != nil {
		return nil, err
	}
	return &Gate{m: m, inv: inv, log: b.log, enabled: enabled, first: b}, nil
}

// Current returns the running bridge, or the first one before it ran;
// nil while the mapping is disabled.
func (g *Gate) Current() *Bridge {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur != nil {
		return g.cur
	}
	return g.first
}

// Mapping returns the mapping with defaults applied.
func (g *Gate) Mapping() Mapping { return g.first.Mapping() }

// on reads the flag; an unreadable flag keeps the current state (logged).
func (g *Gate) on(ctx context.Context, current bool) bool {
	ok, err := g.enabled(ctx)
	if err != nil {
		if ctx.Err() == nil {
			g.log.Warn("event source mapping: enabled flag unreadable; keeping the current state", "enabled", current, "err", err)
		}
		return current
	}
	return ok
}

// Run runs bridges while enabled until ctx ends. It returns the first
// bridge error (a Kafka client that cannot be created).
func (g *Gate) Run(ctx context.Context) error {
	every := g.Every
	if every <= 0 {
		every = DefaultGateEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for ctx.Err() == nil {
		if !g.on(ctx, false) {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
			continue
		}
		g.mu.Lock()
		b := g.first
		g.first = nil
		g.mu.Unlock()
		if b == nil {
			var err error
			if b, err = New(g.m, g.inv, g.log); err != nil {
				return err
			}
		}
		g.mu.Lock()
		g.cur = b
		g.mu.Unlock()
		bctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- b.Run(bctx) }()
		var err error
	running:
		for {
			select {
			case err = <-done:
				break running
			case <-ctx.Done():
			case <-tick.C:
				if g.on(ctx, true) {
					continue
				}
				g.log.Info("event source mapping disabled; consumer leaves its group")
			}
			cancel()
			err = <-done
			break
		}
		cancel()
		g.mu.Lock()
		g.cur = nil
		g.mu.Unlock()
		if err != nil {
			return err
		}
		if ctx.Err() == nil {
			g.log.Info("event source mapping stopped; waiting to be enabled")
		}
	}
	return nil
}

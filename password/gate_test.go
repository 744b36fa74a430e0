package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGateBounds: at most workers run, at most queue wait, the rest are
// refused at once, and waiters give up after the timeout.
func TestGateBounds(t *testing.T) {
	g := NewGate(2, 3, time.Second)
	release := make(chan struct{})
	var running, peak atomic.Int64
	work := func() {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
	}
	var wg sync.WaitGroup
	results := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- g.Do(context.Background(), work)
		}()
	}
	// 2 run, 3 wait, 5 are refused at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, w := g.Busy()
		if (r == 2 && w == 3 && len(results) == 5) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r, w := g.Busy(); r != 2 || w != 3 || len(results) != 5 {
		t.Fatalf("running %d, waiting %d, answered %d; want 2, 3, 5", r, w, len(results))
	}
	for i := 0; i < 5; i++ {
		if err := <-results; !errors.Is(err, ErrBusy) {
			t.Fatalf("refused call returned %v", err)
		}
	}
	close(release)
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("queued call returned %v", err)
		}
	}
	if peak.Load() != 2 {
		t.Errorf("%d ran at once, want 2", peak.Load())
	}
	if r, w := g.Busy(); r != 0 || w != 0 {
		t.Errorf("after all: running %d, waiting %d", r, w)
	}
}

func TestGateTimeoutAndContext(t *testing.T) {
	g := NewGate(1, 5, 50*time.Millisecond)
	hold := make(chan struct{})
	go g.Do(context.Background(), func() { <-hold })
	for r, _ := g.Busy(); r != 1; r, _ = g.Busy() {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	ran := false
	if err := g.Do(context.Background(), func() { ran = true }); !errors.Is(err, ErrBusy) || ran {
		t.Errorf("waiting past the timeout: %v (ran %v)", err, ran)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("gave up after %v, before the timeout", waited)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Do(ctx, func() { ran = true }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled context: %v (ran %v)", err, ran)
	}
	close(hold)
	if err := g.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Errorf("free slot: %v (ran %v)", err, ran)
	}
	var nilGate *Gate
	ran = false
	if err := nilGate.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Errorf("nil gate: %v (ran %v)", err, ran)
	}
}

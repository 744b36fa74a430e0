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
	g := NewGate(2, 3, 1, time.Second)
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
	g := NewGate(1, 5, 1, 50*time.Millisecond)
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

// TestGatePerClient: one client key holds at most perClient admitted
// requests; its excess waits for its own places (and gets ErrBusy after
// the timeout) while another client is admitted at once.
func TestGatePerClient(t *testing.T) {
	g := NewGate(1, 8, 2, 100*time.Millisecond)
	ctx := context.Background()
	r1, err1 := g.Admit(ctx, "flood")
	r2, err2 := g.Admit(ctx, "flood")
	if err1 != nil || err2 != nil {
		t.Fatal("the client's two places were refused")
	}
	start := time.Now()
	if _, err := g.Admit(ctx, "flood"); !errors.Is(err, ErrBusy) || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("past the client's share: %v after %v, want ErrBusy after the timeout", err, time.Since(start))
	}
	rv, err := g.Admit(ctx, "victim")
	if err != nil {
		t.Fatal("another client was refused")
	}
	rv()
	// A waiter gets the place its client frees.
	got := make(chan error, 1)
	go func() {
		r3, err := g.Admit(ctx, "flood")
		if err == nil {
			r3()
		}
		got <- err
	}()
	time.Sleep(10 * time.Millisecond)
	r1()
	if err := <-got; err != nil {
		t.Errorf("a waiter did not get the freed place: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	r4, _ := g.Admit(ctx, "flood")
	if _, err := g.Admit(cctx, "flood"); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v", err)
	}
	r4()
	r2()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.clients) != 0 {
		t.Errorf("clients not forgotten: %v", g.clients)
	}
	var nilGate *Gate
	if release, err := nilGate.Admit(ctx, "x"); err != nil {
		t.Error("a nil gate refused")
	} else {
		release()
	}
}

package password

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrBusy is returned by Gate.Do when no hash could start in time: answer
// 503 with Retry-After.
var ErrBusy = errors.New("password: every hashing slot is busy and the queue is full; try again shortly")

// Gate bounds the password hash computations that run at once and the
// requests waiting for one. A login costs a quarter of a second of one
// CPU; without a bound, a storm of logins takes every CPU from the
// requests the gateway proxies and queues without end. With one, the
// excess is refused at once (queue full) or after a short wait, and the
// remaining CPUs keep proxying.
type Gate struct {
	slots   chan struct{}
	queue   int64
	waiting atomic.Int64
	timeout time.Duration
}

// DefaultWorkers is the default number of concurrent hashes: half the
// CPUs Go may use, at least one, so the rest keep serving requests.
func DefaultWorkers() int {
	return max(1, runtime.GOMAXPROCS(0)/2)
}

// NewGate returns a gate that runs at most workers hashes at once (0 means
// DefaultWorkers), lets at most queue more wait (0 means 8 per worker), and
// gives up on a wait after timeout (0 means 2 s).
func NewGate(workers, queue int, timeout time.Duration) *Gate {
	if workers <= 0 {
		workers = DefaultWorkers()
	}
	if queue <= 0 {
		queue = 8 * workers
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Gate{slots: make(chan struct{}, workers), queue: int64(queue), timeout: timeout}
}

// Do runs f in a free slot. It returns ErrBusy without running f when the
// queue is full, or when no slot freed up within the gate's timeout, and
// ctx.Err() when ctx ends first. A nil Gate runs f at once.
func (g *Gate) Do(ctx context.Context, f func()) error {
	if g == nil {
		f()
		return nil
	}
	select {
	case g.slots <- struct{}{}:
	default:
		if g.waiting.Add(1) > g.queue {
			g.waiting.Add(-1)
			return ErrBusy
		}
		t := time.NewTimer(g.timeout)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
			g.waiting.Add(-1)
		case <-t.C:
			g.waiting.Add(-1)
			return ErrBusy
		case <-ctx.Done():
			t.Stop()
			g.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	f()
	return nil
}

// Busy returns how many hashes are running and how many requests wait.
func (g *Gate) Busy() (running, waiting int) {
	return len(g.slots), int(g.waiting.Load())
}

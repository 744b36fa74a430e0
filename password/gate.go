package password

import (
	"context"
	"errors"
	"runtime"
	"sync"
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
//
// The gate is fair between clients: one client key (an address, or an
// IPv6 prefix) holds at most perClient requests admitted (Admit), whether
// they are hashing, waiting or still reading the database, so a flood from
// one client cannot fill the queue: its excess waits for its own places,
// before any other work, while other clients' requests wait behind at most
// perClient of its hashes.
type Gate struct {
	slots     chan struct{}
	queue     int64
	waiting   atomic.Int64
	timeout   time.Duration
	perClient int

	mu      sync.Mutex
	clients map[string]*share // by client key
}

// DefaultWorkers is the default number of concurrent hashes: half the
// CPUs Go may use, at least one, so the rest keep serving requests.
func DefaultWorkers() int {
	return max(1, runtime.GOMAXPROCS(0)/2)
}

// NewGate returns a gate that runs at most workers hashes at once (0 means
// DefaultWorkers), lets at most queue more wait (0 means 8 per worker),
// gives one client key at most perClient places, running or waiting (0
// means 1), and gives up on a wait after timeout (0 means 2 s).
func NewGate(workers, queue, perClient int, timeout time.Duration) *Gate {
	workers = positiveOr(workers, DefaultWorkers())
	queue, perClient, timeout = positiveOr(queue, 8*workers), positiveOr(perClient, 1), positiveOr(timeout, 2*time.Second)
	return &Gate{slots: make(chan struct{}, workers), queue: int64(queue), timeout: timeout,
		perClient: perClient, clients: map[string]*share{}}
}

// Admit takes one of client's places (client is its throttle key) for a
// request that will hash: call it first, before any other work, and call
// release when the request is done. While client holds all its places the
// request waits, without using CPU, for one to free up; it gets ErrBusy
// after the gate's timeout (ctx.Err() if ctx ends first). So a client
// flooding the gate is slowed to one answer per timeout per connection
// instead of a stream of cheap refusals, and its requests queue behind
// each other rather than ahead of other clients'. A nil Gate admits
// everyone.
func (g *Gate) Admit(ctx context.Context, client string) (release func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		c := g.clients[client]
		if c == nil {
			c = &share{freed: make(chan struct{})}
			g.clients[client] = c
		}
		if c.held < g.perClient {
			c.held++
			return func() { g.release(client, c) }, nil
		}
		if timer == nil {
			timer = time.NewTimer(g.timeout)
		}
		c.waiting++
		freed := c.freed
		g.mu.Unlock()
		select {
		case <-freed:
		case <-timer.C:
			err = ErrBusy
		case <-ctx.Done():
			err = ctx.Err()
		}
		g.mu.Lock()
		c.waiting--
		if err != nil {
			g.forget(client, c)
			return nil, err
		}
	}
}

// share is what one client holds of the gate.
type share struct {
	held, waiting int
	freed         chan struct{} // closed (and replaced) when a place frees
}

func (g *Gate) release(client string, c *share) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c.held--
	close(c.freed)
	c.freed = make(chan struct{})
	g.forget(client, c)
}

// forget drops a client that holds and waits for nothing; g.mu is held.
func (g *Gate) forget(client string, c *share) {
	if c.held == 0 && c.waiting == 0 {
		delete(g.clients, client)
	}
}

// Do runs f in a free slot. It returns ErrBusy without running f when the
// queue is full, or when no slot freed up within the gate's timeout, and
// ctx.Err() when ctx ends first. A nil Gate runs f at once. Requests call
// Admit first, which bounds what one client holds.
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

package caddymodule

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/throttle"
)

// pruneInterval is how often the running gateway deletes ended login
// failure windows: once per throttle window, at most a minute and at
// least a second apart (a minute without a throttle, for rows an earlier
// config left).
func pruneInterval(th *throttle.Config) time.Duration {
	if th == nil {
		return time.Minute
	}
	return min(max(th.Window, time.Second), time.Minute)
}

// startPruner runs st.PruneLoginFailures every interval, each call bounded
// by timeout, until ctx ends or the returned stop is called; stop waits
// for the goroutine to return, so no call outlives the config. It is the
// running gateway's sweep of jwtgate_login_failure, as caddy-ratelimit
// sweeps its limiters: the table holds only open windows without a cron'd
// flushexpiredtokens.
func startPruner(ctx context.Context, st store.Store, interval, timeout time.Duration, log *zap.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			c, cancelCall := context.WithTimeout(ctx, timeout)
			n, err := st.PruneLoginFailures(c, time.Now())
			cancelCall()
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("pruning ended login failure windows", zap.Error(err))
			case n > 0:
				log.Debug("pruned ended login failure windows", zap.Int64("rows", n))
			}
		}
	}()
	return func() { cancel(); <-done }
}

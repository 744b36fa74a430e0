package caddymodule

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtgate/jwtgate/simplejwt"
	"github.com/jwtgate/jwtgate/userindex"
)

// metrics are jwtgate's Prometheus collectors. Caddy gives every config
// load a new registry; the collectors are created once and registered on
// each, so counters carry on across reloads.
type metrics struct {
	auth           *prometheus.CounterVec
	verdicts       verdicts
	views          *prometheus.CounterVec
	hashes         *prometheus.CounterVec
	loginFailures  prometheus.Counter
	loginThrottled prometheus.Counter
	hashBusy       prometheus.Counter
	reuseDetected  prometheus.Counter
	users          *usersGauge
}

var (
	metricsOnce sync.Once
	theMetrics  *metrics
)

func newMetrics() *metrics {
	const ns = "jwtgate"
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help})
	}
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help}, labels)
	}
	m := &metrics{
		auth: vec("auth_requests_total", "Requests checked by jwt_auth, by outcome (authenticated, anonymous, token_invalid, …) and, for a refusal, reason (expired, signature, not_provided, …).",
			"outcome", "reason"),
		views:          vec("view_requests_total", "Requests answered by the token routes, by view and status code.", "view", "code"),
		hashes:         vec("password_hashes_total", "Password hash computations, by algorithm.", "algorithm"),
		loginFailures:  counter("login_failures_total", "Refused logins: unknown user, wrong password or inactive user."),
		loginThrottled: counter("login_throttled_total", "Logins refused by the login throttle (429)."),
		hashBusy:       counter("hash_busy_total", "Requests refused because every password hashing slot was busy (503)."),
		reuseDetected: counter("refresh_reuse_detected_total",
			"Sessions ended because a rotated refresh token was presented again after the reuse interval."),
		users: &usersGauge{
			desc: prometheus.NewDesc(ns+"_users", "Users in the in-memory index the Bearer check consults.", nil, nil),
			feedUp: prometheus.NewDesc(ns+"_user_feed_up",
				"1 while the user change feed delivers (PostgreSQL: its canary comes back and jwtgate's triggers are enabled), 0 while it is down and the index is kept by reading every user once a second.", nil, nil),
			age: prometheus.NewDesc(ns+"_user_index_age_seconds",
				"Seconds since the in-memory user index was last confirmed current (max_staleness compares with it).", nil, nil),
		},
	}
	m.verdicts.init(m.auth)
	return m
}

// registerMetrics registers the collectors on reg. A registry that
// already has them is fine; the other failures (a clash with another
// module's metric) are returned for the caller to report: they are not
// worth refusing to start over, the metric is then just not exported.
func registerMetrics(reg prometheus.Registerer) (*metrics, []error) {
	metricsOnce.Do(func() { theMetrics = newMetrics() })
	m := theMetrics
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.auth, m.views, m.hashes, m.loginFailures, m.loginThrottled, m.hashBusy, m.reuseDetected, m.users} {
		var already prometheus.AlreadyRegisteredError
		if err := reg.Register(c); err != nil && !errors.As(err, &already) {
			errs = append(errs, err)
		}
	}
	return m, errs
}

// verdict is one outcome and reason of jwt_auth as the gateway reports
// them: the placeholder values, boxed once so that setting them on a
// request's replacer does not allocate, the counter, and the handler error
// of `errors caddy`.
type verdict struct {
	outcome, reason   string
	outcomeV, reasonV any
	counter           prometheus.Counter
	err               error
}

// verdicts holds one verdict per outcome and reason seen. Reasons come
// from a fixed set of constants (simplejwt.Result.Reason), so the map and
// the metric's label set stay small; maxVerdicts bounds them anyway.
type verdicts struct {
	vec *prometheus.CounterVec
	mu  sync.RWMutex
	by  map[verdictKey]*verdict
}

type verdictKey struct {
	outcome simplejwt.Outcome
	reason  string
}

// maxVerdicts bounds the outcome/reason pairs; past it a new reason is
// counted as "other".
const maxVerdicts = 64

// init creates the verdicts every outcome has without a token reason,
// so their counters are exported (at 0) from the start.
func (v *verdicts) init(vec *prometheus.CounterVec) {
	v.vec, v.by = vec, map[verdictKey]*verdict{}
	for o := simplejwt.Outcome(0); o.String() != "unknown"; o++ {
		switch o {
		case simplejwt.Anonymous, simplejwt.Authenticated, simplejwt.Preflight:
			v.get(o, "")
		case simplejwt.TokenInvalid: // its reasons are the token's
		default:
			v.get(o, o.String())
		}
	}
}

// get returns the verdict of outcome o with reason ("" when o is not a
// refusal), creating it the first time.
func (v *verdicts) get(o simplejwt.Outcome, reason string) *verdict {
	k := verdictKey{o, reason}
	v.mu.RLock()
	d := v.by[k]
	v.mu.RUnlock()
	if d != nil {
		return d
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if d = v.by[k]; d != nil {
		return d
	}
	if len(v.by) >= maxVerdicts {
		reason = "other"
		if d = v.by[verdictKey{o, reason}]; d != nil {
			return d
		}
	}
	d = &verdict{outcome: o.String(), reason: reason, outcomeV: o.String(), reasonV: reason,
		counter: v.vec.WithLabelValues(o.String(), reason),
		err:     errors.New("jwt_auth refused the request: " + o.String() + " (" + reason + ")")}
	v.by[verdictKey{o, reason}] = d
	return d
}

func (m *metrics) view(name string, status int) {
	m.views.WithLabelValues(name, strconv.Itoa(status)).Inc()
}

func (m *metrics) hashed(algorithm string) { m.hashes.WithLabelValues(algorithm).Inc() }

// usersGauge reports the size of the current config's user index, whether
// its change feed works, and how long ago it was confirmed current.
type usersGauge struct {
	desc, feedUp, age *prometheus.Desc
	mu                sync.Mutex
	ix                *userindex.Index
}

func (g *usersGauge) set(ix *userindex.Index) {
	g.mu.Lock()
	g.ix = ix
	g.mu.Unlock()
}

func (g *usersGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc; ch <- g.feedUp; ch <- g.age }

func (g *usersGauge) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	ix := g.ix
	g.mu.Unlock()
	n := 0
	if ix != nil {
		n = ix.Len()
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n))
	if ix == nil {
		return
	}
	up := 1.0
	if ix.FeedDown() != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(g.feedUp, prometheus.GaugeValue, up)
	if at := ix.FreshAt(); !at.IsZero() {
		ch <- prometheus.MustNewConstMetric(g.age, prometheus.GaugeValue, time.Since(at).Seconds())
	}
}

package caddymodule

import (
	"errors"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtgate/jwtgate/simplejwt"
	"github.com/jwtgate/jwtgate/userindex"
)

// metrics are jwtgate's Prometheus collectors. Caddy gives every config
// load a new registry; the collectors are created once and registered on
// each, so counters carry on across reloads.
type metrics struct {
	auth           *prometheus.CounterVec
	authBy         []prometheus.Counter // indexed by simplejwt.Outcome
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
	m := &metrics{
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "auth_requests_total",
			Help: "Requests checked by jwt_auth, by outcome (authenticated, anonymous, token_invalid, …).",
		}, []string{"outcome"}),
		views: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "view_requests_total",
			Help: "Requests answered by the token routes, by view and status code.",
		}, []string{"view", "code"}),
		hashes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "password_hashes_total",
			Help: "Password hash computations, by algorithm.",
		}, []string{"algorithm"}),
		loginFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "login_failures_total",
			Help: "Refused logins: unknown user, wrong password or inactive user.",
		}),
		loginThrottled: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "login_throttled_total",
			Help: "Logins refused by the login throttle (429).",
		}),
		hashBusy: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "hash_busy_total",
			Help: "Requests refused because every password hashing slot was busy (503).",
		}),
		reuseDetected: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "refresh_reuse_detected_total",
			Help: "Sessions ended because a rotated refresh token was presented again after the reuse interval.",
		}),
		users: &usersGauge{desc: prometheus.NewDesc(ns+"_users", "Users in the in-memory index the Bearer check consults.", nil, nil)},
	}
	for o := simplejwt.Outcome(0); o.String() != "unknown"; o++ {
		m.authBy = append(m.authBy, m.auth.WithLabelValues(o.String()))
	}
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

func (m *metrics) authOutcome(o simplejwt.Outcome) {
	if int(o) < len(m.authBy) {
		m.authBy[o].Inc()
	}
}

func (m *metrics) view(v simplejwt.View, status int) {
	m.views.WithLabelValues(v.String(), strconv.Itoa(status)).Inc()
}

func (m *metrics) hashed(algorithm string) { m.hashes.WithLabelValues(algorithm).Inc() }

// usersGauge reports the size of the current config's user index.
type usersGauge struct {
	desc *prometheus.Desc
	mu   sync.Mutex
	ix   *userindex.Index
}

func (g *usersGauge) set(ix *userindex.Index) {
	g.mu.Lock()
	g.ix = ix
	g.mu.Unlock()
}

func (g *usersGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *usersGauge) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	ix := g.ix
	g.mu.Unlock()
	n := 0
	if ix != nil {
		n = ix.Len()
	}
	ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n))
}

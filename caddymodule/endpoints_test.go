package caddymodule

import "testing"

// TestEndpointsUsersOptIn: the users view (every user's id, username and
// email to any authenticated caller) is served only when asked for.
func TestEndpointsUsersOptIn(t *testing.T) {
	for _, c := range []struct {
		name  string
		paths map[string][]string
		want  string
	}{
		{"default", nil, ""},
		{"on", map[string][]string{"users": DefaultPaths["users"]}, "/users/"},
		{"own path", map[string][]string{"users": {"people/"}}, "/people/"},
	} {
		e := &Endpoints{Paths: c.paths}
		routes, err := e.routeTable()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got string
		for p, v := range routes {
			if v == "users" {
				got += p
			}
		}
		if got != c.want {
			t.Errorf("%s: users served at %q, want %q", c.name, got, c.want)
		}
		if routes["/api/token/"] != "obtain" || routes["/register/"] != "register" {
			t.Errorf("%s: the other views moved: %v", c.name, routes)
		}
	}
}

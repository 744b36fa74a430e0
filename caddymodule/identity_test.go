package caddymodule

import (
	"net/http"
	"testing"
)

// TestIdentityStrip: every identity header the gateway sets is deleted in
// any case or with '_' for '-', whatever map key it arrived under; other
// headers stay.
func TestIdentityStrip(t *testing.T) {
	app := &App{UsernameHeader: "X-Username", ClaimHeaders: map[string]string{"tenant": "X-Tenant"}}
	ih, err := newIdentityHeaders(app, []string{"tenant"})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{
		"X-User-Id": {"1"}, "x-user-id": {"2"}, "X_User_Id": {"3"}, "X-USER_ID": {"4"},
		"X-Username": {"root"}, "x_username": {"root"}, "X-Tenant": {"acme"}, "X_TENANT": {"acme"},
		"X-User-Ids": {"keep"}, "X-User.Id": {"keep"}, "X-Usern4me": {"keep"}, "Accept": {"keep"},
	}
	ih.strip(h)
	if len(h) != 4 || h.Get("X-User-Ids") == "" || h["X-User.Id"] == nil || h.Get("X-Usern4me") == "" || h.Get("Accept") == "" {
		t.Errorf("after strip: %v", h)
	}
	if _, err := newIdentityHeaders(&App{UserIDHeader: "authorization"}, nil); err == nil {
		t.Error("an identity header named Authorization was accepted")
	}
}

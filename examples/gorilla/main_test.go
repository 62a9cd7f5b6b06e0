package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestGorillaUserStaysLoggedIn logs in on the gorilla/sessions side, then
// opens the switched application with the same browser.
func TestGorillaUserStaysLoggedIn(t *testing.T) {
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	app, err := newApp(ring, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(app)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := srv.Client()
	client.Jar = jar

	resp, err := client.PostForm(srv.URL+"/before/login", url.Values{"user": {"ada"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(srv.URL)
	if names := cookieNames(jar.Cookies(u)); names != "app-session" {
		t.Fatalf("after the gorilla login the browser holds %q", names)
	}

	body := get(t, client, srv.URL+"/")
	if !strings.Contains(body, "Logged in as <b>ada</b>") {
		t.Fatalf("the switched app does not know the user:\n%s", body)
	}
	if names := cookieNames(jar.Cookies(u)); names != "__Host-session" {
		t.Fatalf("after the switch the browser holds %q, want only the new cookie", names)
	}
	if body := get(t, client, srv.URL+"/"); !strings.Contains(body, "Logged in as <b>ada</b>") {
		t.Fatalf("the new cookie alone does not carry the login:\n%s", body)
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func cookieNames(cs []*http.Cookie) string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",")
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// client is the command-line client. It keeps no cookies: its session is
// the token in its token file.
type client struct {
	server    string
	tokenFile string
	http      *http.Client // without a cookie jar
}

func runClient(args []string, out io.Writer) error {
	fl := flag.NewFlagSet("api client", flag.ContinueOnError)
	server := fl.String("server", "http://localhost:8080", "the API's URL")
	tokenFile := fl.String("token-file", "cookiesession-api-token", "where the token is kept")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: api client [-server URL] [-token-file FILE] login NAME | me | visit | logout")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	c := &client{server: strings.TrimSuffix(*server, "/"), tokenFile: *tokenFile, http: &http.Client{Timeout: 10 * time.Second}}
	var v view
	var err error
	switch cmd := fl.Args(); {
	case len(cmd) == 2 && cmd[0] == "login":
		err = c.login(cmd[1])
		if err == nil {
			v, err = c.me()
		}
	case len(cmd) == 1 && cmd[0] == "me":
		v, err = c.me()
	case len(cmd) == 1 && cmd[0] == "visit":
		v, err = c.visit()
	case len(cmd) == 1 && cmd[0] == "logout":
		v, err = c.logout()
	default:
		fl.Usage()
		return errors.New("api client: want one of: login NAME, me, visit, logout")
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(v)
}

// login logs name in and keeps the token that the server returns.
func (c *client) login(name string) error {
	var resp struct {
		Token string `json:"token"`
	}
	if err := c.call("POST", "/token", map[string]string{"name": name}, &resp); err != nil {
		return err
	}
	if resp.Token == "" {
		return errors.New("api client: the server returned no token")
	}
	return c.saveToken(resp.Token)
}

func (c *client) me() (v view, err error) {
	err = c.call("GET", "/api/me", nil, &v)
	return v, err
}

func (c *client) visit() (v view, err error) {
	err = c.call("POST", "/api/visit", nil, &v)
	return v, err
}

// logout asks the server to end the session and forgets the token. The
// server cannot revoke it: dropping it here is what logs this client out.
func (c *client) logout() (v view, err error) {
	if err = c.call("POST", "/logout", nil, &v); err != nil {
		return v, err
	}
	if err := os.Remove(c.tokenFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return v, err
	}
	return v, nil
}

// call sends a request with the token, if there is one, decodes the JSON
// answer into out, and keeps the new token that the answer may bring.
func (c *client) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.server+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	token, err := c.token()
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// A new token replaces the old one whenever the server re-sealed the
	// session: it changed, slid its idle window, or moved to a new key.
	if fresh := resp.Header.Get(cookiesession.TokenHeader); fresh != "" {
		if err := c.saveToken(fresh); err != nil {
			return err
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("api client: %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	return json.Unmarshal(data, out)
}

// token returns the token kept in the token file, or "" if there is none.
func (c *client) token() (string, error) {
	b, err := os.ReadFile(c.tokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(string(b)), err
}

// saveToken replaces the token file. The token is a credential, so the
// file is readable by its owner only (CreateTemp makes it 0600); it is
// written beside the old one and renamed over it, so that a crash never
// leaves half a token.
func (c *client) saveToken(token string) error {
	tmp, err := os.CreateTemp(filepath.Dir(c.tokenFile), filepath.Base(c.tokenFile)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails once renamed
	if _, err := tmp.WriteString(token + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.tokenFile)
}

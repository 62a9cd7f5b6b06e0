package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Firefox is driven through WebDriver BiDi, which it speaks natively: no
// geckodriver is needed.

// firefoxPath finds Firefox: the program FIREFOX names, or firefox-esr or
// firefox on PATH.
func firefoxPath() (string, error) {
	if p := os.Getenv("FIREFOX"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("FIREFOX=%s: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Firefox found: set FIREFOX, or put firefox-esr or firefox on PATH " +
		"(on Debian: apt-get install firefox-esr)")
}

// firefoxPrefs go into the fresh profile's user.js. Firefox's remote agent
// turns off updates, telemetry and the first-run pages by itself.
const firefoxPrefs = `// Show a JSON document as plain text in a <pre>, as Chromium does,
// rather than in the JSON viewer.
user_pref("devtools.jsonview.enabled", false);
`

type firefox struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	conn    *bidiConn
	profile string
	stderr  *tailBuffer
}

// startFirefox starts a headless Firefox with a fresh profile and opens a
// BiDi session with it.
func startFirefox() (engine, error) {
	path, err := firefoxPath()
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "e2e-firefox-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o600); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	cmd := exec.Command(path, "--headless", "--no-remote", "--profile", profile, "--remote-debugging-port", "0")
	// Its own process group, so that the content processes it starts can
	// be ended with it if it does not close; and killed if the test binary
	// dies without closing it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	f := &firefox{cmd: cmd, exited: make(chan struct{}), profile: profile, stderr: &tailBuffer{}}
	go func() {
		cmd.Wait()
		close(f.exited)
	}()

	// Firefox prints the address it listens on to stderr.
	const prefix = "WebDriver BiDi listening on "
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			f.stderr.add(line)
			if _, url, ok := strings.Cut(line, prefix); ok && !sent {
				found <- strings.TrimSpace(url)
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var url string
	select {
	case url = <-found:
	case <-f.exited:
		f.cleanUp()
		return nil, fmt.Errorf("%s exited before it listened for BiDi: %s\n%s", path, cmd.ProcessState, f.stderr)
	case <-ctx.Done():
		f.kill()
		return nil, fmt.Errorf("%s did not listen for BiDi within %v:\n%s", path, startTimeout, f.stderr)
	}
	if f.conn, err = dialBiDi(ctx, url+"/session"); err == nil {
		err = f.conn.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{}}, nil)
	}
	if err == nil {
		// Every tab's load events and responses: a page picks out its own.
		err = f.conn.call(ctx, "session.subscribe", map[string]any{
			"events": []string{"browsingContext.navigationStarted", "browsingContext.load", "network.responseCompleted"},
		}, nil)
	}
	if err != nil {
		f.kill()
		return nil, fmt.Errorf("starting a BiDi session with %s: %w\n%s", path, err, f.stderr)
	}
	return f, nil
}

func (f *firefox) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
	defer cancel()
	err := f.conn.call(ctx, "browser.close", nil, nil)
	f.conn.close()
	select {
	case <-f.exited:
	case <-ctx.Done():
		f.kill()
		return fmt.Errorf("firefox did not exit after browser.close (%v); killed it", err)
	}
	f.cleanUp()
	return nil
}

// kill ends the process group Firefox was started in and removes its
// profile.
func (f *firefox) kill() {
	syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-f.exited:
	case <-time.After(actionTimeout):
	}
	if f.conn != nil {
		f.conn.close()
	}
	f.cleanUp()
}

func (f *firefox) cleanUp() {
	os.RemoveAll(f.profile)
}

// newPage opens a tab in a new user context: a jar of its own.
func (f *firefox) newPage(ctx context.Context) (page, error) {
	p := &firefoxPage{conn: f.conn}
	var uc struct {
		UserContext string `json:"userContext"`
	}
	if err := f.conn.call(ctx, "browser.createUserContext", nil, &uc); err != nil {
		return nil, err
	}
	p.userContext = uc.UserContext
	var bc struct {
		Context string `json:"context"`
	}
	if err := f.conn.call(ctx, "browsingContext.create", map[string]any{"type": "tab", "userContext": p.userContext}, &bc); err != nil {
		f.conn.call(ctx, "browser.removeUserContext", map[string]any{"userContext": p.userContext}, nil)
		return nil, err
	}
	p.context = bc.Context
	return p, nil
}

type firefoxPage struct {
	conn        *bidiConn
	userContext string
	context     string
}

// navigationEvent is what the page's events of one navigation say.
type navigationEvent struct {
	Context    string  `json:"context"`
	Navigation *string `json:"navigation"`
	Response   struct {
		Status int `json:"status"`
	} `json:"response"`
}

// load starts a navigation with start and waits for its document to load.
// The navigation is the first one the tab starts after start is called;
// its status is that of the last response to it (after redirects).
func (p *firefoxPage) load(ctx context.Context, start func() error) (int, error) {
	var (
		mu         sync.Mutex
		navigation string // the navigation's id, once started
		status     int
	)
	loaded := make(chan struct{})
	stop := p.conn.listen(func(method string, params json.RawMessage) {
		var ev navigationEvent
		if json.Unmarshal(params, &ev) != nil || ev.Context != p.context || ev.Navigation == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case method == "browsingContext.navigationStarted" && navigation == "":
			navigation = *ev.Navigation
		case *ev.Navigation != navigation:
		case method == "network.responseCompleted":
			status = ev.Response.Status
		case method == "browsingContext.load":
			close(loaded)
			navigation = "\x00done" // no later event counts
		}
	})
	defer stop()
	if err := start(); err != nil {
		return 0, err
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		return 0, fmt.Errorf("waiting for the page to load: %w", ctx.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	if status == 0 {
		return 0, errors.New("no response to the navigation was seen")
	}
	return status, nil
}

func (p *firefoxPage) navigate(ctx context.Context, url string) (int, error) {
	return p.load(ctx, func() error {
		return p.conn.call(ctx, "browsingContext.navigate", map[string]any{"context": p.context, "url": url, "wait": "none"}, nil)
	})
}

func (p *firefoxPage) navigateBy(ctx context.Context, script string) (int, error) {
	return p.load(ctx, func() error {
		_, err := p.eval(ctx, script)
		return err
	})
}

func (p *firefoxPage) eval(ctx context.Context, script string) (string, error) {
	var r struct {
		Type   string `json:"type"` // "success" or "exception"
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := p.conn.call(ctx, "script.evaluate", map[string]any{
		"expression":   script,
		"target":       map[string]any{"context": p.context},
		"awaitPromise": true,
	}, &r)
	if err != nil {
		return "", err
	}
	if r.Type != "success" {
		return "", fmt.Errorf("script threw: %s", r.ExceptionDetails.Text)
	}
	if r.Result.Type != "string" {
		return "", fmt.Errorf("script returned a %s, not a string", r.Result.Type)
	}
	var s string
	err = json.Unmarshal(r.Result.Value, &s)
	return s, err
}

// bidiCookie is a cookie as BiDi's storage module speaks of it.
type bidiCookie struct {
	Name  string `json:"name"`
	Value struct {
		Type  string `json:"type"` // "string" or "base64"
		Value string `json:"value"`
	} `json:"value"`
	Domain   string `json:"domain"`
	Path     string `json:"path"`
	HTTPOnly bool   `json:"httpOnly"`
	Secure   bool   `json:"secure"`
	SameSite string `json:"sameSite"` // "strict", "lax", "none" or "default"
	Expiry   *int64 `json:"expiry,omitempty"`
}

// partition names the page's jar.
func (p *firefoxPage) partition() map[string]any {
	return map[string]any{"type": "storageKey", "userContext": p.userContext}
}

func (p *firefoxPage) cookies(ctx context.Context) ([]cookie, error) {
	var r struct {
		Cookies []bidiCookie `json:"cookies"`
	}
	if err := p.conn.call(ctx, "storage.getCookies", map[string]any{"partition": p.partition()}, &r); err != nil {
		return nil, err
	}
	out := make([]cookie, 0, len(r.Cookies))
	for _, c := range r.Cookies {
		if c.Value.Type != "string" {
			return nil, fmt.Errorf("cookie %s has a %s value", c.Name, c.Value.Type)
		}
		var expires time.Time
		if c.Expiry != nil {
			expires = time.Unix(*c.Expiry, 0)
		}
		sameSite := c.SameSite
		if sameSite != "" {
			sameSite = strings.ToUpper(sameSite[:1]) + sameSite[1:] // as DevTools spells it
		}
		out = append(out, cookie{
			Name: c.Name, Value: c.Value.Value, Domain: c.Domain, Path: c.Path,
			Secure: c.Secure, HTTPOnly: c.HTTPOnly, SameSite: sameSite, Expires: expires,
		})
	}
	return out, nil
}

func (p *firefoxPage) setCookie(ctx context.Context, c cookie) error {
	bc := bidiCookie{
		Name: c.Name, Domain: c.Domain, Path: c.Path,
		HTTPOnly: c.HTTPOnly, Secure: c.Secure, SameSite: strings.ToLower(c.SameSite),
	}
	bc.Value.Type, bc.Value.Value = "string", c.Value
	if !c.Expires.IsZero() {
		e := c.Expires.Unix()
		bc.Expiry = &e
	}
	return p.conn.call(ctx, "storage.setCookie", map[string]any{"cookie": bc, "partition": p.partition()}, nil)
}

func (p *firefoxPage) deleteCookie(ctx context.Context, c cookie) error {
	filter := map[string]any{"name": c.Name, "domain": c.Domain, "path": c.Path}
	return p.conn.call(ctx, "storage.deleteCookies", map[string]any{"filter": filter, "partition": p.partition()}, nil)
}

func (p *firefoxPage) close(ctx context.Context) error {
	return errors.Join(
		p.conn.call(ctx, "browsingContext.close", map[string]any{"context": p.context}, nil),
		p.conn.call(ctx, "browser.removeUserContext", map[string]any{"userContext": p.userContext}, nil))
}

// tailBuffer keeps the last lines a program wrote, for an error message.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *tailBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	const keep = 40
	b.lines = append(b.lines, line)
	if len(b.lines) > keep {
		b.lines = b.lines[len(b.lines)-keep:]
	}
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

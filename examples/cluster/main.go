// Command cluster runs several backends of one application behind a
// round-robin load balancer, with no shared session store: every backend
// reads the same keyring file, so any of them opens the session cookie
// that another sealed, and a key rotation written to that file reaches
// them all without logging anyone out. Run it from the repository's root:
//
//	go run ./examples/cluster
//
// It starts three backends, each with its own store and its own watcher
// of the keyring file, and a reverse proxy on http://127.0.0.1:8080/ that
// hands each request to the next backend in turn. Every answer names the
// backend that served it and the key that sealed the session:
//
//	curl -c jar -b jar -X POST 'http://127.0.0.1:8080/login?user=ada'
//	curl -c jar -b jar -X POST 'http://127.0.0.1:8080/session?key=colour&value=teal'
//	curl -c jar -b jar http://127.0.0.1:8080/session
//
// Then rotate the key while it runs, with the cookiesession command:
//
//	go run ./cmd/cookiesession keyring rotate cluster-keyring.json --activate-in 30s
//
// The new key is pending until then: within the -reload interval (5
// seconds) every backend has it and can open cookies sealed under it, but
// none seals with it yet. Half a minute later every backend seals with
// the new key, and sessions sealed under the old one are re-sealed under
// the new one as they come back. Each backend shows the keyring it has
// loaded on /keys, and how many sessions each key opened on /keys/usage,
// which the cookiesession command sums over the backends (the cluster
// prints the whole command when it starts):
//
//	go run ./cmd/cookiesession keyring usage --keyring cluster-keyring.json \
//		http://127.0.0.1:PORT1/keys/usage http://127.0.0.1:PORT2/keys/usage …
//
// The API of each backend, all in JSON:
//
//	GET  /session                 the session
//	POST /session?key=K&value=V   store a value in it
//	POST /login?user=U            log in: a new session id, and the user
//	POST /logout                  end the session
//	POST /grow?bytes=N            add N bytes of ballast, to see it split over cookies
//	GET  /keys                    the keyring this backend has loaded
//	GET  /keys/usage              how many sessions each key opened here
//
// On its first start it creates the keyring file cluster-keyring.json
// (mode 0600) in the working directory; later starts load it. Flags:
//
//	-listen ADDR       the proxy's address (default 127.0.0.1:8080); port 0 picks one
//	-backends N        how many backends to start (default 3)
//	-keyring FILE      the keyring file (default cluster-keyring.json)
//	-domain DOMAIN     the cookie's Domain, to share the session with every
//	                   host under DOMAIN (default none: host-only); open the
//	                   proxy by such a name then, http://app.example.localhost:8080/
//	                   for -domain example.localhost
//	-reload DURATION   how often each backend reads the keyring file (default 5s)
//	-backend-only      run one backend on -listen, with no proxy, so that
//	                   backends can run as separate processes behind any
//	                   load balancer; it needs -id, and an existing keyring
//	                   file (cookiesession keyring init FILE)
//	-id NAME           the backend's name in answers (with -backend-only)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession"
)

// options are the command's flags.
type options struct {
	listen      string
	backends    int
	keyring     string
	domain      string
	reload      time.Duration
	backendOnly bool
	id          string
}

func main() {
	var o options
	flag.StringVar(&o.listen, "listen", "127.0.0.1:8080", "the proxy's `address`, or the backend's with -backend-only; port 0 picks one")
	flag.IntVar(&o.backends, "backends", 3, "how many backends to start")
	flag.StringVar(&o.keyring, "keyring", "cluster-keyring.json", "keyring `file`, created if missing (except with -backend-only)")
	flag.StringVar(&o.domain, "domain", "", "the session cookie's Domain (default: none, host-only)")
	flag.DurationVar(&o.reload, "reload", cookiesession.DefaultReloadInterval, "how often each backend reads the keyring file")
	flag.BoolVar(&o.backendOnly, "backend-only", false, "run a single backend on -listen, without the proxy")
	flag.StringVar(&o.id, "id", "", "the backend's `name` (with -backend-only)")
	flag.Parse()
	if err := o.check(); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
		flag.Usage()
		os.Exit(2)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// Stop gracefully on Ctrl-C, and on the SIGTERM that service managers
	// and Kubernetes send.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run := runCluster
	if o.backendOnly {
		run = runBackend
	}
	if err := run(ctx, o, os.Stdout, logger); err != nil {
		logger.Error(err.Error())
		os.Exit(1)
	}
}

func (o *options) check() error {
	switch {
	case flag.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	case o.backendOnly && o.id == "":
		return errors.New("-backend-only needs -id NAME")
	case !o.backendOnly && o.id != "":
		return errors.New("-id goes with -backend-only")
	case o.backends < 1 || o.backends > 64:
		return fmt.Errorf("-backends %d is not between 1 and 64", o.backends)
	case o.reload <= 0:
		return fmt.Errorf("-reload %v is not positive", o.reload)
	}
	return nil
}

// runCluster starts the backends and the proxy in front of them, and
// serves until ctx is done.
func runCluster(ctx context.Context, o options, stdout io.Writer, logger *slog.Logger) error {
	if err := ensureKeyring(o.keyring, stdout); err != nil {
		return err
	}
	// Each backend has its own watcher and its own store, as it would in a
	// process of its own; only the file is shared.
	var backends []*backend
	defer func() {
		for _, b := range backends {
			b.close()
		}
	}()
	var targets []*url.URL
	for i := range o.backends {
		b, err := newBackend(fmt.Sprintf("b%d", i+1), "127.0.0.1:0", o, logger)
		if err != nil {
			return err
		}
		backends = append(backends, b)
		targets = append(targets, &url.URL{Scheme: "http", Host: b.ln.Addr().String()})
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	proxy := &http.Server{
		Handler:           newProxy(targets, logger.With("proxy", ln.Addr().String())),
		ReadHeaderTimeout: 10 * time.Second,
	}

	fmt.Fprintf(stdout, "proxy on %s (round robin over %d backends)\n", baseURL(o.listen, ln.Addr()), len(backends))
	for _, b := range backends {
		fmt.Fprintf(stdout, "backend %s on %s\n", b.id, baseURL("127.0.0.1:0", b.ln.Addr()))
	}
	fmt.Fprintf(stdout, "rotate the key with: go run ./cmd/cookiesession keyring rotate %s --activate-in 30s\n", o.keyring)
	usage := []string{"go run ./cmd/cookiesession keyring usage --keyring", o.keyring}
	for _, b := range backends {
		usage = append(usage, strings.TrimSuffix(baseURL("127.0.0.1:0", b.ln.Addr()), "/")+"/keys/usage")
	}
	fmt.Fprintf(stdout, "watch the keys in use with: %s\n", strings.Join(usage, " "))

	// On a signal, the proxy stops first, finishing the requests in
	// progress, and then the backends it was sending them to. A backend
	// that fails stops the whole.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	backendCtx, stopBackends := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackends()
	var wg sync.WaitGroup
	errs := make(chan error, len(backends))
	for _, b := range backends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.run(backendCtx); err != nil {
				errs <- fmt.Errorf("backend %s: %w", b.id, err)
				cancel()
			}
		}()
	}
	err = serve(ctx, proxy, ln)
	stopBackends()
	wg.Wait()
	close(errs)
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	return <-errs // the first error, or nil
}

// runBackend serves one backend on o.listen until ctx is done.
func runBackend(ctx context.Context, o options, stdout io.Writer, logger *slog.Logger) error {
	b, err := newBackend(o.id, o.listen, o, logger)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Fprintf(stdout, "backend %s on %s\n", b.id, baseURL(o.listen, b.ln.Addr()))
	return b.run(ctx)
}

// ensureKeyring creates the keyring file at path with one new key, unless
// it exists already.
func ensureKeyring(path string, stdout io.Writer) error {
	_, err := os.Stat(path)
	if err == nil {
		fmt.Fprintf(stdout, "Loaded the keyring %s.\n", path)
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		return err
	}
	// SaveNew writes the file with mode 0600, and never replaces one.
	if err := ring.SaveNew(path); err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	fmt.Fprintf(stdout, "Created the keyring %s (mode 0600). Its keys can forge any session: keep it out of version control.\n", abs)
	return nil
}

// baseURL returns the URL of a server listening on addr, asked for as
// listen. A wildcard address is shown as 127.0.0.1.
func baseURL(listen string, addr net.Addr) string {
	host, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	_, port, _ := net.SplitHostPort(addr.String())
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// shutdownTimeout is how long a server waits for the requests in progress
// when it stops.
const shutdownTimeout = 10 * time.Second

// serve serves srv on ln until ctx is done, and then shuts it down
// gracefully: it stops accepting connections and lets the requests in
// progress finish.
func serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-served // http.ErrServerClosed, now that Shutdown was called
	return err
}

// newProxy returns a reverse proxy that sends each request to the next of
// targets in turn. No backend is preferred for a user: any of them can
// open any session.
func newProxy(targets []*url.URL, logger *slog.Logger) http.Handler {
	var next atomic.Uint64
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Keep enough idle connections to each backend for a busy proxy: the
	// default of 2 makes it open and close connections at every burst.
	transport.MaxIdleConnsPerHost = 64
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			n := next.Add(1) - 1
			pr.SetURL(targets[n%uint64(len(targets))])
			pr.Out.Host = pr.In.Host // the backends see the host the browser asked for
			pr.SetXForwarded()
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			logger.Error("proxying", "url", r.URL.String(), "err", err)
			writeError(w, http.StatusBadGateway, errors.New("the backend did not answer"))
		},
	}
}

// data is what the application keeps in the session.
type data struct {
	User    string            `json:"user,omitempty"`
	Values  map[string]string `json:"values,omitempty"`
	Ballast string            `json:"ballast,omitempty"` // filler that /grow adds, to make the session span several cookies
}

// Limits on what a request may put in the session. The store's MaxSize
// (6 KiB by default) caps the whole; these keep each request sensible.
const (
	maxUser     = 64
	maxKey      = 64
	maxValue    = 1024
	maxValues   = 32
	maxGrowStep = 16 << 10 // more than MaxSize, so that growing past it can be tried
)

// backend is one server of the application, with its own watcher of the
// keyring file and its own store.
type backend struct {
	id     string
	keys   *cookiesession.KeyringFile
	store  *cookiesession.Store[data]
	srv    *http.Server
	ln     net.Listener
	logger *slog.Logger
}

func newBackend(id, listen string, o options, logger *slog.Logger) (*backend, error) {
	logger = logger.With("backend", id)
	// The watcher reads the file every o.reload, and at once when a
	// cookie names a key it lacks, and keeps the last good keyring if the
	// file is ever broken. NewKeyringFile reads it once now, and fails if
	// it is missing or readable by other users.
	keys, err := cookiesession.NewKeyringFile(o.keyring, cookiesession.KeyringFileConfig{
		Interval: o.reload,
		Logger:   logger,
	})
	if err != nil {
		return nil, err
	}
	store, err := cookiesession.NewStore(keys, cookiesession.Config[data]{
		// This example speaks plain HTTP, where a browser drops a Secure
		// cookie (except on localhost), so the cookie goes without the
		// Secure attribute and the __Host- prefix. Behind a load balancer
		// that terminates TLS, leave Insecure false.
		Insecure:    true,
		Name:        "session",
		Domain:      o.domain,
		Lifetime:    8 * time.Hour,
		IdleTimeout: 30 * time.Minute,
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	b := &backend{id: id, keys: keys, store: store, ln: ln, logger: logger}
	b.srv = &http.Server{Handler: b.routes(), ReadHeaderTimeout: 10 * time.Second}
	return b, nil
}

// run serves the backend and watches the keyring file until ctx is done.
func (b *backend) run(ctx context.Context) error {
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		b.keys.Run(ctx) // returns when ctx is done or the watcher is closed
	}()
	err := serve(ctx, b.srv, b.ln)
	b.keys.Close()
	<-watched
	return err
}

// close releases what newBackend took, for a backend that may never have
// run.
func (b *backend) close() {
	b.keys.Close()
	b.ln.Close()
}

func (b *backend) routes() http.Handler {
	mux := http.NewServeMux()
	// Each API handler changes the session, or returns why it cannot;
	// reply saves it and answers.
	api := func(pattern string, h func(*http.Request, *cookiesession.Session[data]) error) {
		mux.Handle(pattern, b.store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := b.store.FromContext(r.Context()) // always there: the middleware put it
			w.Header().Set("Cache-Control", "no-store")
			if err := h(r, s); err != nil {
				writeError(w, statusOf(err), err)
				return
			}
			b.reply(w, r, s)
		})))
	}
	api("GET /session", func(*http.Request, *cookiesession.Session[data]) error { return nil })
	api("POST /session", b.set)
	api("POST /login", b.login)
	api("POST /logout", b.logout)
	api("POST /grow", b.grow)

	// The key figures are for operators; in production serve them on an
	// address that only they reach. They bypass the session middleware,
	// so that looking at them opens no session.
	mux.HandleFunc("GET /keys", b.keyring)
	mux.Handle("GET /keys/usage", b.store.KeyUsageHandler())

	// Everything else gets a JSON error too.
	allow := map[string]string{
		"/session": "GET, POST", "/login": "POST", "/logout": "POST", "/grow": "POST",
		"/keys": "GET", "/keys/usage": "GET",
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if methods, ok := allow[r.URL.Path]; ok {
			w.Header().Set("Allow", methods)
			writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint: %s", r.URL.Path))
	})
	return mux
}

// httpError is an error with the HTTP status to answer it with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, cookiesession.ErrTooLarge):
		// The session would not fit in the cookies a browser and the
		// proxies in between accept. Save left the browser's cookies as
		// they were.
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// set stores a value in the session.
func (b *backend) set(r *http.Request, s *cookiesession.Session[data]) error {
	key, value := r.FormValue("key"), r.FormValue("value")
	switch {
	case key == "" || len(key) > maxKey:
		return badRequest("key must be 1 to %d bytes", maxKey)
	case len(value) > maxValue:
		return badRequest("value must be at most %d bytes", maxValue)
	}
	if _, ok := s.Get().Values[key]; !ok && len(s.Get().Values) >= maxValues {
		return badRequest("the session holds %d values already", maxValues)
	}
	s.Update(func(d *data) {
		if d.Values == nil {
			d.Values = map[string]string{}
		}
		d.Values[key] = value
	})
	return nil
}

// login records the user. Renew gives the session a new id, so that an id
// planted in the browser before the login is worth nothing after it.
func (b *backend) login(r *http.Request, s *cookiesession.Session[data]) error {
	user := r.FormValue("user")
	if user == "" || len(user) > maxUser {
		return badRequest("user must be 1 to %d bytes", maxUser)
	}
	s.Renew()
	s.Update(func(d *data) { d.User = user })
	return nil
}

// logout ends the session: the response expires every cookie of it.
func (b *backend) logout(r *http.Request, s *cookiesession.Session[data]) error {
	s.Destroy()
	return nil
}

// grow adds bytes of ballast to the session. Some 2.7 KB of it split the
// session over two cookies; past MaxSize, Save refuses the session and
// the answer is a 413.
func (b *backend) grow(r *http.Request, s *cookiesession.Session[data]) error {
	n, err := strconv.Atoi(r.FormValue("bytes"))
	if err != nil || n < 1 || n > maxGrowStep {
		return badRequest("bytes must be a number from 1 to %d", maxGrowStep)
	}
	s.Update(func(d *data) { d.Ballast += strings.Repeat("#", n) })
	return nil
}

// sessionReply is what the API answers.
type sessionReply struct {
	Backend string      `json:"backend"`
	Session sessionView `json:"session"`
	KeyID   string      `json:"key_id,omitempty"` // the key that sealed the session as the response leaves; empty if none did
}

type sessionView struct {
	ID        string            `json:"id,omitempty"` // empty until the session is sealed
	New       bool              `json:"new"`          // the request carried no usable session
	LoadError string            `json:"load_error,omitempty"`
	User      string            `json:"user,omitempty"`
	Values    map[string]string `json:"values,omitempty"`
	Ballast   int               `json:"ballast_bytes,omitempty"`
}

// reply saves the session and writes it as JSON. It calls Save itself
// rather than leave that to the middleware, for two reasons: a session
// that cannot be saved (a *TooLargeError) is answered with an error, not
// with data the browser will not hold; and the key id in the answer is
// the key that sealed the session as the response leaves: the primary's
// if this response sealed it (a change, or a re-seal after a rotation),
// else the key it came with. The middleware then finds nothing to save.
func (b *backend) reply(w http.ResponseWriter, r *http.Request, s *cookiesession.Session[data]) {
	if err := b.store.Save(w, r, s); err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	d := s.Get()
	out := sessionReply{Backend: b.id, Session: sessionView{
		New:     s.IsNew(),
		User:    d.User,
		Values:  d.Values,
		Ballast: len(d.Ballast),
	}}
	if id := s.KeyID(); id != 0 {
		out.KeyID = id.String()
		out.Session.ID = s.ID()
	}
	// Why the request's cookie could not be used (a revoked key, say). A
	// real application would log it rather than show it; the store's
	// Logger does that too.
	if err := s.LoadError(); err != nil && !errors.Is(err, cookiesession.ErrAbsent) {
		out.Session.LoadError = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}

// keyring describes the keyring this backend has loaded, without its
// secrets, with the statuses of "cookiesession keyring list": before a
// rotation's new key activates, every backend should list it as pending.
func (b *backend) keyring(w http.ResponseWriter, r *http.Request) {
	type key struct {
		ID          string    `json:"id"`
		State       string    `json:"state"`
		Status      string    `json:"status"`
		ActivatesAt time.Time `json:"activates_at"`
		RetireAfter time.Time `json:"retire_after,omitzero"`
	}
	out := struct {
		Backend string `json:"backend"`
		Primary string `json:"primary,omitempty"`
		Keys    []key  `json:"keys"`
	}{Backend: b.id, Keys: []key{}}
	now := time.Now()
	ring := b.keys.Keyring()
	p, perr := ring.Primary(now)
	if perr == nil {
		out.Primary = p.ID.String()
	}
	for _, k := range ring.Keys() {
		out.Keys = append(out.Keys, key{
			ID:          k.ID.String(),
			State:       k.State.String(),
			Status:      ring.Status(k.ID, now),
			ActivatesAt: k.ActivatesAt.UTC(),
			RetireAfter: k.RetireAfter.UTC(),
		})
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers with a JSON error. A *TooLargeError also gives its
// numbers.
func writeError(w http.ResponseWriter, status int, err error) {
	out := struct {
		Error string `json:"error"`
		Size  int    `json:"size,omitempty"`
		Limit int    `json:"limit,omitempty"`
	}{Error: err.Error()}
	var tl *cookiesession.TooLargeError
	if errors.As(err, &tl) {
		out.Size, out.Limit = tl.Size, tl.Limit
	}
	writeJSON(w, status, out)
}

package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cookiesession/cookiesession"
)

const usageHelp = `Sum, over the servers of a fleet, how many session cookies each key
opened and when it was last seen, so that you can tell when a retired key
is no longer in use and may be pruned.

Each URL is a server's Store.KeyUsageHandler (the figures count from the
server's start). LOADED says how many of the servers that answered hold
the key in the keyring they have loaded. An answer that is not that
handler's document (another page, an error) is refused as such, and the
command fails. So does a server that rejects its keyring file (a broken
file, or an old copy that would bring a revoked key back): it goes on with
an older keyring, and the command prints why.

With --keyring, every key of FILE is listed with its status, including
those no server has seen, and the command fails if a server has not loaded
every key of FILE yet: run it after shipping a rotated file, before the
new key activates.

With --json, the output also lists each server's problems, as stderr
prints them: "kind" is "no usage" (the server did not answer, or not with
its document), "keyring rejected" or "key not loaded".
`

// usageProblem is one server's problem, as --json lists it beside the
// keys: what stderr says of it, without the URL.
type usageProblem struct {
	URL     string `json:"url"`
	Kind    string `json:"kind"` // "no usage", "keyring rejected" or "key not loaded"
	Problem string `json:"problem"`
}

// maxUsageBody bounds the reply read from each server.
const maxUsageBody = 1 << 20

type usageKey struct {
	ID       string    `json:"id"`
	Status   string    `json:"status,omitempty"`
	Opened   uint64    `json:"opened"`
	LastSeen time.Time `json:"last_seen"`
	Servers  int       `json:"servers"`           // servers that opened values under the key
	LoadedBy int       `json:"loaded_by"`         // servers whose keyring holds it
	Missing  []string  `json:"missing,omitempty"` // with --keyring: servers that lack it
}

// MarshalJSON writes a key that no server has seen with a null
// last_seen, rather than the zero time (year 1), which a script would
// read as a date; the members keep the order of usageKey's fields.
func (k usageKey) MarshalJSON() ([]byte, error) {
	var last *time.Time
	if !k.LastSeen.IsZero() {
		last = &k.LastSeen
	}
	return json.Marshal(struct {
		ID       string     `json:"id"`
		Status   string     `json:"status,omitempty"`
		Opened   uint64     `json:"opened"`
		LastSeen *time.Time `json:"last_seen"`
		Servers  int        `json:"servers"`
		LoadedBy int        `json:"loaded_by"`
		Missing  []string   `json:"missing,omitempty"`
	}{k.ID, k.Status, k.Opened, last, k.Servers, k.LoadedBy, k.Missing})
}

// usageReply is what Store.KeyUsageHandler serves.
type usageReply struct {
	Keys         []usageKey `json:"keys"`
	Loaded       []string   `json:"loaded"`
	KeyringError string     `json:"keyring_error"` // the server rejects its keyring file
}

func (c *cli) keyringUsage(args []string) int {
	s := newSubcommand("keyring usage", "[--keyring FILE] [--json] URL...", usageHelp)
	var (
		keyring string
		asJSON  bool
		timeout = durationFlag{d: 10 * time.Second}
		ff      fileFlags
	)
	s.flags.StringVar(&keyring, "keyring", "", "list every key of the keyring `FILE` with its status")
	s.flags.BoolVar(&asJSON, "json", false, "print JSON instead of a table (a key no server has seen has a null last_seen)")
	s.flags.Var(&timeout, "timeout", "how long to wait for each server (more than 0)")
	ff.register(s)
	urls, status, ok := s.parseOptional(c, args, 1<<10)
	if !ok {
		return status
	}
	if len(urls) == 0 {
		return c.usageError("cookiesession keyring usage", "give at least one URL")
	}
	if timeout.d <= 0 {
		// http.Client takes 0 for no timeout at all: a server that
		// accepts the connection and never answers would hold the
		// command, and the rotation waiting on it, forever.
		return c.usageError("cookiesession keyring usage", fmt.Sprintf("--timeout %v: give a positive duration, such as 10s", timeout.d))
	}
	for _, u := range urls {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return c.usageError("cookiesession keyring usage", fmt.Sprintf("%q is not an http or https URL", u))
		}
	}

	now := c.now()
	byID := map[string]*usageKey{}
	if keyring != "" {
		ring, err := c.load(keyring, ff)
		if err != nil {
			return c.fail(err)
		}
		for _, k := range ring.Keys() {
			byID[k.ID.String()] = &usageKey{ID: k.ID.String(), Status: ring.Status(k.ID, now)}
		}
	}
	client := &http.Client{Timeout: timeout.d}
	answered := 0 // servers that replied
	// Anything that makes the command fail, printed as it is found, and
	// listed in --json's output.
	var problems []usageProblem
	problem := func(u, kind, sep, msg string) {
		fmt.Fprintf(c.stderr, "cookiesession: %s%s%s\n", u, sep, msg)
		problems = append(problems, usageProblem{URL: u, Kind: kind, Problem: msg})
	}
	fileIDs := make([]string, 0, len(byID))
	for id := range byID {
		fileIDs = append(fileIDs, id)
	}
	slices.Sort(fileIDs)
	for _, u := range urls {
		reply, err := fetchUsage(client, u)
		var urlErr *url.Error
		if errors.As(err, &urlErr) { // it repeats the method and the URL
			err = urlErr.Err
			if urlErr.Timeout() {
				err = fmt.Errorf("no answer within %v (--timeout)", timeout.d)
			}
		} else if netErr := net.Error(nil); errors.As(err, &netErr) && netErr.Timeout() {
			// The header came in time, the body did not.
			err = fmt.Errorf("the answer began but did not end within %v (--timeout)", timeout.d)
		}
		if err != nil {
			problem(u, "no usage", ": ", err.Error())
			continue
		}
		answered++
		if reply.KeyringError != "" {
			// The server goes on with an older keyring than its file's:
			// as loud as any other failure, since servers are out of step.
			problem(u, "keyring rejected", " ", fmt.Sprintf("rejects its keyring file and keeps an older keyring: %q", clip(reply.KeyringError, 400)))
		}
		for _, id := range reply.Loaded {
			if k := byID[id]; k != nil {
				k.LoadedBy++
			}
		}
		for _, id := range fileIDs {
			if !slices.Contains(reply.Loaded, id) {
				byID[id].Missing = append(byID[id].Missing, u)
				problem(u, "key not loaded", " ", fmt.Sprintf("has not loaded key %s of %s", id, keyring))
			}
		}
		for _, k := range reply.Keys {
			sum := byID[k.ID]
			if sum == nil {
				sum = &usageKey{ID: k.ID}
				if keyring != "" {
					sum.Status = "not in the keyring"
				}
				byID[k.ID] = sum
				if slices.Contains(reply.Loaded, k.ID) {
					sum.LoadedBy++
				}
			}
			// Saturate rather than wrap: a server's bogus count must not
			// make a key in use look unused.
			sum.Opened = satAdd(sum.Opened, k.Opened)
			sum.Servers++
			if k.LastSeen.After(sum.LastSeen) {
				sum.LastSeen = k.LastSeen
			}
		}
	}

	keys := make([]usageKey, 0, len(byID))
	for _, k := range byID {
		keys = append(keys, *k)
	}
	slices.SortFunc(keys, func(a, b usageKey) int { return cmp.Compare(a.ID, b.ID) })
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			Servers  int            `json:"servers"`
			Failed   int            `json:"failed"`
			Keys     []usageKey     `json:"keys"`
			Problems []usageProblem `json:"problems"`
		}{answered, len(urls) - answered, keys, append([]usageProblem{}, problems...)})
	} else if answered > 0 { // with no answer, a table would only mislead
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tSTATUS\tOPENED\tLAST SEEN\tSERVERS\tLOADED")
		for _, k := range keys {
			last := "never"
			if !k.LastSeen.IsZero() {
				last = formatTime(k.LastSeen)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d/%d\n", k.ID, cmp.Or(k.Status, "-"), k.Opened, last, k.Servers, k.LoadedBy, answered)
		}
		tw.Flush()
		if answered < len(urls) {
			// The table sums only the servers that answered: say so
			// beside it, where it is read, not only among the errors.
			fmt.Fprintf(c.stdout, "Only %d of the %d servers gave their usage (the errors say why): "+
				"OPENED, SERVERS and LOADED count those %d.\n", answered, len(urls), answered)
		}
	}
	if len(problems) > 0 {
		return exitFailure
	}
	return exitOK
}

// notUsage is how an answer that is not a key usage document is refused:
// counting it as one would print an empty table, or blame every key of
// the keyring for a URL that points at the wrong page.
func notUsage(why string) error {
	return fmt.Errorf("the answer is not a key usage document: %s; is this the URL of a Store.KeyUsageHandler?", why)
}

// fetchUsage reads one server's key usage figures. The answer must be the
// document Store.KeyUsageHandler serves: JSON, with a list of keys and a
// list of loaded ids, every id 8 lowercase hex digits and none twice.
// Other members are ignored, so that a newer server can add some.
func fetchUsage(client *http.Client, u string) (*usageReply, error) {
	resp, err := client.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, notUsage("the status is " + resp.Status)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, notUsage(fmt.Sprintf("its Content-Type is %q, not JSON", ct))
	}
	var doc struct {
		Keys *[]struct {
			ID       *string   `json:"id"`
			Opened   uint64    `json:"opened"`
			LastSeen time.Time `json:"last_seen"`
		} `json:"keys"`
		Loaded       *[]string `json:"loaded"`
		KeyringError string    `json:"keyring_error"`
	}
	// One byte past the bound is read, to tell a longer answer from a
	// broken one.
	body := &countingReader{r: io.LimitReader(resp.Body, maxUsageBody+1)}
	dec := json.NewDecoder(body)
	if err := dec.Decode(&doc); err != nil {
		return nil, answerError(err, body)
	}
	if dec.More() {
		if err := body.err; err != nil && err != io.EOF {
			return nil, answerError(err, body)
		}
		return nil, notUsage("more follows the JSON object")
	}
	if doc.Keys == nil || doc.Loaded == nil {
		return nil, notUsage(`it lacks the "keys" or the "loaded" list`)
	}
	reply := &usageReply{Keys: []usageKey{}, Loaded: []string{}, KeyringError: doc.KeyringError}
	seen := map[string]bool{}
	for i, k := range *doc.Keys {
		if k.ID == nil {
			return nil, notUsage(fmt.Sprintf("key %d has no id", i))
		}
		if _, err := cookiesession.ParseKeyID(*k.ID); err != nil {
			return nil, notUsage(fmt.Sprintf("key %d has the id %q, not 8 lowercase hex digits", i, clip(*k.ID, 20)))
		}
		if seen[*k.ID] {
			return nil, notUsage(fmt.Sprintf("key %s is listed twice", *k.ID))
		}
		seen[*k.ID] = true
		reply.Keys = append(reply.Keys, usageKey{ID: *k.ID, Opened: k.Opened, LastSeen: k.LastSeen})
	}
	clear(seen)
	for _, id := range *doc.Loaded {
		if _, err := cookiesession.ParseKeyID(id); err != nil {
			return nil, notUsage(fmt.Sprintf("the loaded id %q is not 8 lowercase hex digits", clip(id, 20)))
		}
		if seen[id] {
			return nil, notUsage(fmt.Sprintf("the loaded id %s is listed twice", id))
		}
		seen[id] = true
		reply.Loaded = append(reply.Loaded, id)
	}
	return reply, nil
}

// countingReader counts the bytes read through it and keeps the reader's
// last error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// answerError says why an answer could not be read as a key usage
// document: a failure to read it (the connection cut, the --timeout
// reached while the body came in) is not a server that sent no JSON, and
// a body longer than maxUsageBody is neither.
func answerError(err error, body *countingReader) error {
	// encoding/json's own words name Go types; say it in JSON's.
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		what := "the answer"
		if typeErr.Field != "" {
			what = `"` + typeErr.Field + `"`
		}
		return notUsage(fmt.Sprintf("%s is a JSON %s, not what a key usage document holds there", what, typeErr.Value))
	case body.n > maxUsageBody:
		return notUsage(fmt.Sprintf("it is longer than %d bytes", maxUsageBody))
	case body.err != nil && body.err != io.EOF:
		// The body could not be read to its end: the error is the
		// transport's, as the caller reports it (a timeout as such).
		return fmt.Errorf("reading the answer: %w", body.err)
	case errors.As(err, &syntaxErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return notUsage("it is not valid JSON")
	}
	return fmt.Errorf("reading the answer: %w", err)
}

// clip shortens a string from a server for a message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// satAdd adds without wrapping around.
func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return math.MaxUint64
	}
	return a + b
}

package cookiesession

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The attack-case suite: what a hostile client, a sibling subdomain or a
// stolen cookie can try against a store, and the exact outcome of each.
// Every case loads a request through a real store and checks which
// session it got (if any), the error class, and what the response writes.
//
// The checklist, with where each attack is tried:
//
//   - forged, tampered, truncated, re-chunked, oversized and malformed
//     cookies; values of other names, purposes and keys; time edges; every
//     key state: TestAttacks, TestAttackEveryBitFlipAndCut,
//     TestAttackHugeCookieHeader, TestAttackHostilePayloads;
//   - twins of one name (a host-only cookie beside a Domain cookie, a
//     session tossed by a sibling): the one sealed last wins, wherever it
//     stands in the header (TestAttacks), and a write or a logout expires
//     the twins in every form, so neither an old login nor a logout's
//     survivor comes back (TestTwinCookies);
//   - a replayed cookie after logout: TestAttackReplayAfterLogout;
//   - a shorter IdleTimeout or Lifetime after a deploy applies to the
//     sessions already out there: TestIdleTimeoutShortenedApplies;
//   - a gorilla cookie during a migration never overrides or expires a
//     session that another server may still open, and never outlives a
//     logout: TestGorillaNeverOverridesALiveSession,
//     TestGorillaLogoutEndsBoth;
//   - the keyring file: a FIFO, a folder or a device at its path is refused
//     without blocking, no request waits on a reload, Run stops when told
//     (TestKeyringFileNotRegular, TestKeyringFileUnknownKeyNeverWaits); an
//     old copy of the file cannot bring a revoked key back
//     (TestKeyringFileRefusesRevival); forged key ids cannot make a server
//     read its disk more often (TestKeyringFileUnknownKeyRateLimit);
//   - session contents never reach an error or a log, whatever field fails
//     to decode: TestDecodeErrorsCarryNoPlaintext; and printing a key, a
//     keyring, a session or anything that holds them, with any verb or
//     through slog, shows no secret, no session data, id or cookie:
//     TestPrintingHidesSecrets;
//   - many chunks, twins and duplicates beyond what a request holds
//     without allocating: TestRequestCandidatesBeyondTheRoom; the same
//     store's middleware twice in one request loses no change, and a
//     context kept from a finished request gets no live session:
//     TestMiddlewareNested;
//   - a value that would seal and not open again (or not equal) is refused
//     at Save, with the browser's cookies kept: TestSaveRefusesWhatCannotOpen,
//     FuzzRoundTripTimes;
//   - the key usage endpoint answers GET and HEAD only:
//     TestKeyUsageHandlerMethods; a failing random source never seals:
//     TestAttackRandomSourceFailure.

// The fixture's keyring: a primary, a pending key, a retired key, a
// revoked key, and two keys that share secrets with the retired and the
// revoked one under other ids, so that any fallback from one key to
// another would open what must not open.
const attackKeyring = `{"version": 1, "keys": [
  {"id": "000000a1", "state": "active", "secret": "oaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaE=",
   "created": "2026-11-01T00:00:00Z", "activates_at": "2026-11-01T00:00:00Z"},
  {"id": "000000a2", "state": "active", "secret": "oqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqI=",
   "created": "2026-11-20T00:00:00Z", "activates_at": "2026-12-01T00:00:00Z"},
  {"id": "000000a3", "state": "retired", "secret": "o6Ojo6Ojo6Ojo6Ojo6Ojo6Ojo6Ojo6Ojo6Ojo6Ojo6M=",
   "created": "2026-10-01T00:00:00Z", "activates_at": "2026-10-01T00:00:00Z", "retire_after": "2026-12-01T00:00:00Z"},
  {"id": "000000a4", "state": "revoked", "secret": "pKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKQ=",
   "created": "2026-09-01T00:00:00Z", "activates_at": "2026-09-01T00:00:00Z"}
]}`

// keysSealing returns a keyring where only id seals, with the given secret
// byte pattern, so the fixture can mint values under any key id.
func keysSealing(t testing.TB, id KeyID, secret byte) *Keyring {
	t.Helper()
	k := Key{ID: id, State: KeyActive, Created: t0.Add(-time.Hour), ActivatesAt: t0.Add(-time.Hour)}
	var b [KeySize]byte
	for i := range b {
		b[i] = secret
	}
	k.secret = newKeySecret(&b)
	r, err := buildKeyring([]Key{k}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type attackFixture struct {
	st   *Store[cart]
	clk  *clock
	cfg  Config[cart]
	hits *countingKeys
}

// countingKeys counts the keyring lookups, which every value that gets as
// far as key selection makes, so a test can tell that no decoding ran.
type countingKeys struct {
	ring  *Keyring
	calls int
}

func (c *countingKeys) Keyring() *Keyring { c.calls++; return c.ring }

const attackName = "__Secure-s"

func newAttackFixture(t testing.TB) *attackFixture {
	t.Helper()
	ring, err := ParseKeyring([]byte(attackKeyring))
	if err != nil {
		t.Fatal(err)
	}
	f := &attackFixture{hits: &countingKeys{ring: ring}, clk: &clock{now: t0}}
	f.cfg = Config[cart]{
		Name: attackName, Domain: "example.test", ChunkSize: 300, MaxSize: 3000,
		Lifetime: 24 * time.Hour, IdleTimeout: 4 * time.Hour, ClockSkew: time.Minute, Now: f.clk.Now,
	}
	if f.st, err = NewStore(f.hits, f.cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

// mint seals a session for user under the keyring keys (the store's own
// unless given), at time at, with blob bytes of padding.
func (f *attackFixture) mint(t testing.TB, user string, blob int, keys KeySource, at time.Time, mod func(*Config[cart])) []*http.Cookie {
	t.Helper()
	st, s := f.minting(t, user, blob, keys, at, mod)
	rec := httptest.NewRecorder()
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	return rec.Result().Cookies()
}

// minting returns a store like the fixture's, under keys at time at, and a
// session of it holding user with blob bytes of padding, to be sealed.
func (f *attackFixture) minting(t testing.TB, user string, blob int, keys KeySource, at time.Time, mod func(*Config[cart])) (*Store[cart], *Session[cart]) {
	t.Helper()
	cfg := f.cfg
	cfg.Now = (&clock{now: at}).Now
	if mod != nil {
		mod(&cfg)
	}
	if keys == nil {
		keys = f.hits.ring
	}
	st, err := NewStore(keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(cart{User: user, Blob: strings.Repeat("x", blob)})
	return st, s
}

func header(cs ...*http.Cookie) string {
	var pairs []string
	for _, c := range cs {
		pairs = append(pairs, c.Name+"="+c.Value)
	}
	return strings.Join(pairs, "; ")
}

func renamed(c *http.Cookie, name string) *http.Cookie {
	return &http.Cookie{Name: name, Value: c.Value}
}

func withValue(c *http.Cookie, v string) *http.Cookie { return &http.Cookie{Name: c.Name, Value: v} }

// result is what a request got: the session's user ("" for a fresh one),
// the load error, and the key that re-sealed it on the way out (0 if the
// response wrote no cookie).
type result struct {
	user     string
	err      error
	resealed KeyID
}

func (f *attackFixture) load(t testing.TB, cookieHeader string) result {
	t.Helper()
	r := httptest.NewRequest("GET", "https://app.example.test/", nil)
	if cookieHeader != "" {
		r.Header.Set("Cookie", cookieHeader)
	}
	s, rec, err := f.loadAndSave(t, r)
	res := result{user: s.Get().User, err: err}
	if len(rec.Result().Cookies()) > 0 {
		res.resealed = s.KeyID()
	}
	return res
}

// loadAndSave loads r's session, which must be fresh when it fails to
// load, and saves it; err is the load's.
func (f *attackFixture) loadAndSave(t testing.TB, r *http.Request) (*Session[cart], *httptest.ResponseRecorder, error) {
	t.Helper()
	s, err := f.st.Load(r)
	if err != nil && (s.Get() != cart{} || !s.IsNew()) {
		t.Fatalf("a failed load gave a non-fresh session: %+v", s.Get())
	}
	rec := httptest.NewRecorder()
	if serr := f.st.Save(rec, r, s); serr != nil {
		t.Fatalf("Save: %v", serr)
	}
	return s, rec, err
}

// sameOutcome compares an error with a wanted outcome by class.
func sameOutcome(t testing.TB, got, want error) bool {
	t.Helper()
	if want == nil || got == nil {
		return got == want
	}
	return outcome(t, got) == want
}

func TestAttacks(t *testing.T) {
	f := newAttackFixture(t)
	// Two sessions of 4 chunks: chunks 1 and 2 are full and of one length,
	// so swapping or mixing them keeps the base64 canonical and the
	// outcome does not depend on the random nonce.
	victim := f.mint(t, "victim", 700, nil, t0, nil)
	attacker := f.mint(t, "attacker", 700, nil, t0, nil)
	small := f.mint(t, "victim", 0, nil, t0, nil)[0] // 1 chunk
	if len(victim) != 4 || len(attacker) != 4 {
		t.Fatalf("fixture: %d and %d chunks, want 4", len(victim), len(attacker))
	}

	for _, tc := range []struct {
		name   string
		cookie func() string // the request's Cookie header
		at     time.Duration // the server's clock, after t0
		want   result
	}{
		// The baseline: the legitimate cookies open.
		{"legitimate chunks", func() string { return header(victim...) }, 0, result{"victim", nil, 0}},
		{"legitimate chunks in any header order", func() string { return header(victim[2], victim[0], victim[3], victim[1]) }, 0, result{"victim", nil, 0}},

		// Encoding tricks on the value.
		{"trailing byte", func() string { return header(withValue(small, small.Value+"A")) }, 0, result{"", ErrTampered, 0}},
		{"trailing bytes, one quantum", func() string { return header(withValue(small, small.Value+"AAAA")) }, 0, result{"", ErrTampered, 0}},
		{"non-canonical last character", func() string { return header(withValue(small, nonCanonical(t, small.Value))) }, 0, result{"", ErrMalformed, 0}},
		{"padding added", func() string { return header(withValue(small, small.Value+"==")) }, 0, result{"", ErrMalformed, 0}},
		{"standard alphabet", func() string {
			// A value with a - or _ to translate: random values lack both
			// now and then.
			for range 100 {
				if v := f.mint(t, "victim", 0, nil, t0, nil)[0]; strings.ContainsAny(v.Value, "-_") {
					return header(withValue(v, strings.NewReplacer("-", "+", "_", "/").Replace(v.Value)))
				}
			}
			t.Fatal("no value with - or _ in 100 tries")
			return ""
		}, 0, result{"", ErrMalformed, 0}},
		{"quoted value", func() string { return attackName + `="` + small.Value + `"` }, 0, result{"victim", nil, 0}},
		{"no marker", func() string { return header(withValue(small, small.Value[1:])) }, 0, result{"", ErrMalformed, 0}},

		// Moving a value to where it was not sealed.
		{"moved to another cookie name", func() string { return header(renamed(small, "__Secure-t")) }, 0, result{"", ErrAbsent, 0}},
		{"another name's value under ours", func() string {
			return header(renamed(f.mint(t, "victim", 0, nil, t0, func(c *Config[cart]) { c.Name = "__Secure-t" })[0], attackName))
		}, 0, result{"", ErrTampered, 0}},
		{"sealed for another purpose", func() string {
			return header(f.mint(t, "victim", 0, nil, t0, func(c *Config[cart]) { c.Purpose = "admin" })...)
		}, 0, result{"", ErrTampered, 0}},
		{"chunk 1 served as chunk 0", func() string { return header(renamed(victim[1], attackName)) }, 0, result{"", ErrMalformed, 0}},

		// Chunks.
		{"chunks swapped", func() string {
			return header(victim[0], renamed(victim[2], attackName+".1"), renamed(victim[1], attackName+".2"), victim[3])
		}, 0, result{"", ErrTampered, 0}},
		{"chunk missing", func() string { return header(victim[0], victim[1], victim[3]) }, 0, result{"", ErrIncomplete, 0}},
		{"first chunk missing", func() string { return header(victim[1], victim[2], victim[3]) }, 0, result{"", ErrIncomplete, 0}},
		{"chunk duplicated", func() string { return header(victim[0], victim[1], victim[1], victim[2], victim[3]) }, 0, result{"victim", nil, 0}},
		{"chunks mixed from two sessions", func() string { return header(victim[0], attacker[1], victim[2], victim[3]) }, 0, result{"", ErrTampered, 0}},
		{"a stray chunk beyond the count", func() string {
			return header(append(victim, &http.Cookie{Name: attackName + ".4", Value: "x"})...)
		}, 0, result{"victim", nil, 0}},
		{"absurd chunk count", func() string { return attackName + "=~AQD_" + strings.Repeat("A", 100) }, 0, result{"", ErrTooLarge, 0}},
		{"chunk index 2^31", func() string { return header(victim...) + "; " + attackName + ".2147483648=x" }, 0, result{"victim", nil, 0}},
		{"non-numeric chunk suffix", func() string { return header(victim...) + "; " + attackName + ".x=y" }, 0, result{"victim", nil, 0}},

		// Duplicates and tossing from a sibling subdomain.
		// Of several sessions that authenticate, the one sealed last wins,
		// wherever it stands in the header (browsers list the older cookie
		// first); on a tie, the later in the header. A complete session
		// tossed in and sealed later still wins: the server cannot tell it
		// from ours. __Host- cookies (no Domain) are immune to this.
		{"attacker's session first, sealed at the same time", func() string { return header(append(attacker, victim...)...) }, 0, result{"victim", nil, 0}},
		{"attacker's session first, sealed later", func() string {
			return header(append(f.mint(t, "attacker", 0, nil, t0.Add(time.Second), nil), victim...)...)
		}, 0, result{"attacker", nil, 0}},
		{"older session first, newer second", func() string {
			return header(append(f.mint(t, "attacker", 0, nil, t0.Add(-time.Hour), nil), victim...)...)
		}, 0, result{"victim", nil, 0}},
		{"newer session first, older second", func() string {
			return header(append(victim, f.mint(t, "attacker", 0, nil, t0.Add(-time.Hour), nil)...)...)
		}, 0, result{"victim", nil, 0}},
		{"attacker's garbage first", func() string { return header(withValue(small, "~AQABgarbage"), small) }, 0, result{"victim", nil, 0}},
		{"attacker's value from another app first", func() string {
			return header(append(f.mint(t, "attacker", 0, nil, t0, func(c *Config[cart]) { c.Purpose = "other-app" }), small)...)
		}, 0, result{"victim", nil, 0}},

		// Cookie prefix spoofing: only the exact name counts.
		{"nameless cookie spoofing the prefix", func() string { return "=" + attackName + "=" + small.Value }, 0, result{"", ErrAbsent, 0}},
		{"prefix in upper case", func() string { return header(renamed(small, strings.ToUpper(attackName))) }, 0, result{"", ErrAbsent, 0}},
		{"prefix in lower case", func() string { return header(renamed(small, strings.ToLower(attackName))) }, 0, result{"", ErrAbsent, 0}},
		{"name with a trailing space", func() string { return attackName + " =" + small.Value }, 0, result{"", ErrAbsent, 0}},

		// Time.
		{"expired: idle for longer than the idle timeout", func() string { return header(small) }, 4*time.Hour + time.Minute, result{"", ErrExpired, 0}},
		{"within the clock skew after expiry", func() string { return header(small) }, 4*time.Hour + 59*time.Second, result{"victim", nil, 0x000000a1}},
		{"issued in the future beyond the skew", func() string {
			return header(f.mint(t, "victim", 0, nil, t0.Add(2*time.Minute), nil)...)
		}, 0, result{"", ErrNotYetValid, 0}},
		{"issued in the future within the skew", func() string {
			return header(f.mint(t, "victim", 0, nil, t0.Add(time.Minute), nil)...)
		}, 0, result{"victim", nil, 0}},
		{"past the absolute lifetime, even though resealed", func() string { return header(small) }, 24*time.Hour + time.Minute, result{"", ErrExpired, 0}},

		// Keys.
		{"retired key: opens, and is re-sealed by the primary", func() string {
			return header(f.mint(t, "victim", 0, keysSealing(t, 0xa3, 0xa3), t0, nil)...)
		}, 0, result{"victim", nil, 0x000000a1}},
		{"pending key: opens, and is re-sealed by the primary", func() string {
			return header(f.mint(t, "victim", 0, keysSealing(t, 0xa2, 0xa2), t0, nil)...)
		}, 0, result{"victim", nil, 0x000000a1}},
		{"revoked key: refused, though another id has its secret", func() string {
			return header(f.mint(t, "victim", 0, keysSealing(t, 0xa4, 0xa1), t0, nil)...)
		}, 0, result{"", ErrRevokedKey, 0}},
		{"unknown key id with the primary's secret: no other key tried", func() string {
			return header(f.mint(t, "victim", 0, keysSealing(t, 0xdead, 0xa1), t0, nil)...)
		}, 0, result{"", ErrUnknownKey, 0}},
		{"known key id with another key's secret", func() string {
			return header(f.mint(t, "victim", 0, keysSealing(t, 0xa1, 0xa3), t0, nil)...)
		}, 0, result{"", ErrTampered, 0}},

		// Oversized input.
		{"session value over MaxSize", func() string {
			big := f.mint(t, "victim", 3000, nil, t0, func(c *Config[cart]) { c.MaxSize = 8000 })
			return header(big...)
		}, 0, result{"", ErrTooLarge, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.clk.now = t0.Add(tc.at)
			got := f.load(t, tc.cookie())
			if got.user != tc.want.user || !sameOutcome(t, got.err, tc.want.err) || got.resealed != tc.want.resealed {
				t.Errorf("got user %q err %v resealed by %v;\nwant user %q err %v resealed by %v",
					got.user, got.err, got.resealed, tc.want.user, tc.want.err, tc.want.resealed)
			}
		})
	}
}

func nonCanonical(t testing.TB, v string) string {
	t.Helper()
	if (len(v)-1)%4 == 0 {
		t.Fatalf("value of length %d has no unused bits", len(v))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return v[:len(v)-1] + string(alphabet[strings.IndexByte(alphabet, v[len(v)-1])|1])
}

func TestAttackEveryBitFlipAndCut(t *testing.T) {
	f := newAttackFixture(t)
	victim := f.mint(t, "victim", 500, nil, t0, nil)
	for i := range victim {
		v := victim[i].Value
		for pos := range len(v) {
			for bit := range 7 { // bit 7 makes a byte no cookie can carry
				mut := []byte(v)
				mut[pos] ^= 1 << bit
				cs := append([]*http.Cookie(nil), victim...)
				cs[i] = withValue(victim[i], string(mut))
				if got := f.load(t, header(cs...)); got.user != "" || got.err == nil {
					t.Fatalf("chunk %d byte %d bit %d: accepted", i, pos, bit)
				}
			}
		}
		for n := range len(v) {
			cs := append([]*http.Cookie(nil), victim...)
			cs[i] = withValue(victim[i], v[:n])
			if got := f.load(t, header(cs...)); got.user != "" || got.err == nil {
				t.Fatalf("chunk %d cut to %d: accepted", i, n)
			}
		}
	}
}

func TestAttackHugeCookieHeader(t *testing.T) {
	// Refused before any decoding: no key is even looked up.
	f := newAttackFixture(t)
	small := f.mint(t, "victim", 0, nil, t0, nil)[0]
	huge := header(small) + "; junk=" + strings.Repeat("a", maxCookieHeader)
	f.hits.calls = 0
	got := f.load(t, huge)
	if got.user != "" || !errors.Is(got.err, ErrTooLarge) || f.hits.calls != 0 {
		t.Fatalf("user %q err %v, %d keyring lookups", got.user, got.err, f.hits.calls)
	}
	// Thousands of chunk cookies within the limit cost no more than the
	// chunks a session may have.
	var b strings.Builder
	for i := range 2000 {
		b.WriteString(attackName + "." + string(rune('1'+i%9)) + "=x; ")
	}
	f.hits.calls = 0
	got = f.load(t, b.String()+header(small))
	if got.user != "victim" || f.hits.calls > 2 {
		t.Fatalf("user %q err %v, %d keyring lookups", got.user, got.err, f.hits.calls)
	}
}

func TestAttackReplayAfterLogout(t *testing.T) {
	// A cookie copied before logout still opens after it: the server keeps
	// no state. Validate is how an application refuses it.
	f := newAttackFixture(t)
	stolen := f.mint(t, "victim", 0, nil, t0, nil)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", header(stolen...))
	s, _ := f.st.Load(r)
	s.Destroy()
	f.st.Save(httptest.NewRecorder(), r, s)
	if got := f.load(t, header(stolen...)); got.user != "victim" || got.err != nil {
		t.Fatalf("without Validate: user %q err %v; the replay is accepted", got.user, got.err)
	}

	st, loggedOut := f.withLogouts(t)
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", header(stolen...))
	s, _ = st.Load(r)
	loggedOut[s.ID()] = true // the application records the logout
	s.Destroy()
	s, err := st.Load(r) // the replay
	if !errors.Is(err, ErrRejected) || s.Get().User != "" {
		t.Fatalf("with Validate: user %q err %v; want the replay refused", s.Get().User, err)
	}
}

// withLogouts returns a store like the fixture's whose Validate refuses
// the sessions whose ids the test puts in loggedOut, as an application
// that records logouts does.
func (f *attackFixture) withLogouts(t testing.TB) (st *Store[cart], loggedOut map[string]bool) {
	t.Helper()
	loggedOut = map[string]bool{}
	cfg := f.cfg
	cfg.Validate = func(r *http.Request, s *Session[cart]) error {
		if loggedOut[s.ID()] {
			return errors.New("session ended by logout")
		}
		return nil
	}
	st, err := NewStore(f.hits, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st, loggedOut
}

func TestAttackHostilePayloads(t *testing.T) {
	// A value authentic under our keys but whose payload is hostile (only
	// a keyholder, or a bug, could make one): it is refused as malformed,
	// never decoded into memory it does not fit.
	f := newAttackFixture(t)
	nested := append(bytes.Repeat([]byte{0x81}, 1000), 0x01) // [[[[…1…]]]]
	hugeArray := []byte{0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	for name, payload := range map[string][]byte{
		"nested 1000 deep":                 nested,
		"array claiming 2^63 elements":     hugeArray,
		"map claiming 2^32 pairs":          {0xba, 0xff, 0xff, 0xff, 0xff},
		"text claiming 2^32 bytes":         {0x7a, 0xff, 0xff, 0xff, 0xff},
		"indefinite length":                {0x9f, 0x01, 0xff},
		"envelope with a short session id": {0xa3, 0x01, 0x41, 0x00, 0x02, 0x00, 0x03, 0xa0},
	} {
		st, err := NewStore(f.hits.ring, Config[[]byte]{Name: attackName, Domain: "example.test", Serializer: rawSerializer{}, Now: f.clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		value, _, err := st.codec.seal(attackName, payload, t0, t0.Add(time.Hour), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := f.load(t, attackName+"="+value)
		if got.user != "" || !errors.Is(got.err, ErrMalformed) {
			t.Errorf("%s: user %q err %v, want ErrMalformed", name, got.user, got.err)
		}
	}
}

// rawSerializer seals the bytes it is given as they are.
type rawSerializer struct{}

func (rawSerializer) Serialize(src any) ([]byte, error)     { return src.([]byte), nil }
func (rawSerializer) Deserialize(src []byte, dst any) error { *dst.(*[]byte) = src; return nil }

func TestAttackSealingUsesThePrimary(t *testing.T) {
	// Whatever key opened the session, and whatever keys are pending,
	// every response seals with the primary of the moment.
	f := newAttackFixture(t)
	for _, tc := range []struct {
		at   time.Time
		want KeyID
	}{
		{t0, 0xa1},
		{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 0xa2}, // a2 has activated
	} {
		f.clk.now = tc.at
		s, _ := f.st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(cart{User: "x"})
		rec := httptest.NewRecorder()
		if err := f.st.Save(rec, nil, s); err != nil {
			t.Fatal(err)
		}
		if s.KeyID() != tc.want {
			t.Errorf("at %v sealed by %v, want %v", tc.at, s.KeyID(), tc.want)
		}
	}
}

func TestAttackRandomSourceFailure(t *testing.T) {
	// A failing random source makes Save fail and write nothing: no zero
	// nonce, no guessable session id.
	for name, breakIt := range map[string]func(*Store[cart]){
		"nonce":      func(st *Store[cart]) { st.codec.rand = failingReader{} },
		"session id": func(st *Store[cart]) { st.rand = failingReader{} },
	} {
		f := newAttackFixture(t)
		breakIt(f.st)
		s, _ := f.st.Load(httptest.NewRequest("GET", "/", nil))
		s.Set(cart{User: "x"})
		rec := httptest.NewRecorder()
		err := f.st.Save(rec, nil, s)
		if err == nil || !strings.Contains(err.Error(), "entropy source failed") || len(rec.Header()["Set-Cookie"]) != 0 {
			t.Errorf("%s: err %v, wrote %v", name, err, rec.Header()["Set-Cookie"])
		}
	}
}

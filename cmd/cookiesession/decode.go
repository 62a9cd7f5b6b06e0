package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cookiesession/cookiesession"
	"github.com/fxamacker/cbor/v2"
)

const decodeHelp = `Open a cookie value with the keys of a keyring file and print what it
holds, or say precisely why it does not open. It is a support tool: it
needs the keyring, so run it where the keys are.

VALUE is one cookie value (it starts with ~). Without VALUE, or with "-",
the input is read from standard input: a value, a request's cookies as in
its Cookie header ("Cookie: session=~…; session.1=…"), or a response's
"Set-Cookie:" lines as a browser's developer tools show them, from which
the cookies of the session named --name are joined, however many it
spans. A value in double quotes is read without them.

A bearer token (Config.Transport with TransportBearer) is sealed under
"Bearer NAME" rather than NAME: give --token and the token, or paste the
request's "Authorization: Bearer …" line, which is read as a token without
--token. (A store with ShareTokenAndCookie seals its tokens as cookie
values: decode them without --token.)

The output is JSON: the key that sealed the value and its status in the
keyring, when the value was issued and when it expires, how many cookies
it spans, and its payload. A session that a Store wrote shows as its id,
creation time and data, with its unread flashes and its remember-me choice
(persistent) when it has them.

Unless --show-all is given, the session id and every value under a name
that looks secret print as "[redacted]". A name looks secret when it
holds, in upper or lower case, any of

` + secretNamesHelp + `

so "PinCode", "user_ssn" and "otp_seed" are hidden, with everything
inside them. The items of a list are judged by the list's name; a
payload that is a lone value, not a map, has no name and prints as it is.

The exit status is 1 when the value does not open, with the reason on
standard error.
`

// maxDecodeInput bounds what decode reads from standard input.
const maxDecodeInput = 1 << 20

func (c *cli) decode(args []string) int {
	s := newSubcommand("decode", "--keyring FILE --name NAME [VALUE | -]", decodeHelp)
	var (
		opts    decodeOptions
		keyring string
		at      timeFlag
		skew    = durationFlag{d: time.Minute}
		ff      fileFlags
	)
	s.flags.StringVar(&keyring, "keyring", "", "the keyring `FILE` (required)")
	s.flags.StringVar(&opts.name, "name", "", "the session's cookie `NAME`, as the application configures it (required)")
	s.flags.StringVar(&opts.purpose, "purpose", "", "the application's `PURPOSE` (Config.Purpose), if it sets one")
	s.flags.StringVar(&opts.serializer, "serializer", "cbor", "the application's serializer: `cbor` or json")
	s.flags.Var(&at, "at", "open the value as at `TIME` rather than now")
	s.flags.Var(&skew, "skew", "the clock skew allowed around expiry and issue times")
	s.flags.BoolVar(&opts.showAll, "show-all", false, "print the session id and every value of the payload, even those that look secret")
	s.flags.BoolVar(&opts.token, "token", false, "the input is a bearer token, which the store seals under \"Bearer NAME\"")
	ff.register(s)
	// VALUE is optional: parse it apart from the required arguments.
	pos, status, ok := s.parseOptional(c, args, 1)
	if !ok {
		return status
	}
	if keyring == "" || opts.name == "" {
		return c.usageError("cookiesession decode", "--keyring and --name are required")
	}
	if opts.serializer != "cbor" && opts.serializer != "json" {
		return c.usageError("cookiesession decode", fmt.Sprintf("--serializer %q is not cbor or json", opts.serializer))
	}
	opts.now = c.now()
	if at.set {
		opts.now = at.t
	}
	opts.skew = skew.d

	// The keyring first: its errors are worth hearing before typing a
	// value in.
	ring, err := c.load(keyring, ff)
	if err != nil {
		return c.fail(err)
	}
	input := ""
	if len(pos) == 1 && pos[0] != "-" {
		input = pos[0]
	} else {
		if f, ok := c.stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && !isDevNull(fi) {
				fmt.Fprintln(c.stderr, "cookiesession: reading a value or a Cookie header from the terminal; end it with Ctrl-D")
			}
		}
		b, err := io.ReadAll(io.LimitReader(c.stdin, maxDecodeInput+1))
		if err != nil {
			return c.fail(err)
		}
		if len(b) > maxDecodeInput {
			return c.fail(fmt.Errorf("standard input is longer than %d bytes", maxDecodeInput))
		}
		input = string(b)
	}
	out, err := decodeInput(ring, opts, input)
	if err != nil {
		return c.fail(err)
	}
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return c.fail(err)
	}
	return exitOK
}

type decodeOptions struct {
	name, purpose, serializer string
	now                       time.Time
	skew                      time.Duration
	showAll                   bool
	token                     bool // the input is a bearer token (--token, or read as one)
}

type decodeOutput struct {
	Name      string         `json:"name"`
	Chunks    int            `json:"chunks"`
	KeyID     string         `json:"key_id"`
	KeyStatus string         `json:"key_status"`
	IssuedAt  time.Time      `json:"issued_at"`
	Expires   time.Time      `json:"expires"`
	Session   *sessionOutput `json:"session,omitempty"`
	Payload   any            `json:"payload,omitempty"`
}

type sessionOutput struct {
	ID         string                `json:"id"`
	Created    time.Time             `json:"created"`
	Data       any                   `json:"data"`
	Flashes    []cookiesession.Flash `json:"flashes,omitempty"`
	Persistent *bool                 `json:"persistent,omitempty"`
}

// decodeInput opens the value or the session cookies that input holds.
func decodeInput(ring *cookiesession.Keyring, opts decodeOptions, input string) (*decodeOutput, error) {
	inner := cookiesession.Serializer(anyKeysCBOR{})
	if opts.serializer == "json" {
		inner = cookiesession.JSON{}
	}
	skew := opts.skew
	if skew == 0 {
		skew = -1 // the codec's "none"
	}
	codec, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{
		Purpose:    opts.purpose,
		ClockSkew:  skew,
		MaxLength:  maxDecodeInput,
		Serializer: sniffer{inner},
		Now:        func() time.Time { return opts.now },
	})
	if err != nil {
		return nil, err
	}
	name := opts.name
	var chunks []string
	if token, ok := tokenOf(input, opts.token); ok {
		// The name the Store seals tokens under: its cookie values never
		// open as tokens, nor tokens as cookie values.
		opts.token, name, chunks = true, "Bearer "+opts.name, []string{token}
	} else if chunks, err = chunksOf(opts.name, input); err != nil {
		return nil, err
	}
	var p decoded
	h, err := codec.OpenChunks(name, chunks, &p)
	if err != nil {
		return nil, explain(ring, opts, chunks, h, err)
	}
	out := &decodeOutput{
		Name:      name,
		Chunks:    h.Chunks,
		KeyID:     h.KeyID.String(),
		KeyStatus: ring.Status(h.KeyID, opts.now),
		IssuedAt:  h.IssuedAt.UTC(),
		Expires:   h.Expires.UTC(),
	}
	if p.session != nil {
		// The id is as good as the session to whoever can make a Store
		// accept it (a server-side session store keyed by it, a log
		// search): it is hidden like any secret.
		id := redacted
		if opts.showAll {
			id = base64.RawURLEncoding.EncodeToString(p.session.ID)
		}
		out.Session = &sessionOutput{
			ID:         id,
			Created:    time.Unix(p.session.Created, 0).UTC(),
			Data:       printable(p.session.Data, opts.showAll),
			Flashes:    p.session.Flashes,
			Persistent: p.session.Persistent,
		}
	} else {
		out.Payload = printable(p.value, opts.showAll)
	}
	return out, nil
}

// tokenOf finds a bearer token in input: the token itself when the input
// is one (asToken, from --token), or the token of a pasted
// "Authorization: Bearer …" or "Bearer …" line either way. It reports
// whether input is a token.
func tokenOf(input string, asToken bool) (string, bool) {
	v := strings.TrimSpace(input)
	if strings.ContainsAny(v, "\r\n") {
		return v, asToken // several lines: a Cookie header or Set-Cookie lines, not one token
	}
	if rest, ok := cutPrefixFold(v, "authorization:"); ok {
		v = strings.TrimSpace(rest)
	}
	// The scheme, in any case, then one or more spaces (RFC 6750).
	if rest, ok := cutPrefixFold(v, "bearer "); ok && rest != "" {
		return unquote(strings.TrimSpace(rest)), true
	}
	return unquote(v), asToken
}

// cutPrefixFold is strings.CutPrefix with prefix in any case, as header
// names and schemes are pasted.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// chunksOf finds, in input, the value to open: a lone value, or the
// cookies name, name.1, … of a Cookie header, joined in index order up to
// the count the first one announces. The header may be pasted as it is
// ("Cookie: …"), or as the response's "Set-Cookie: …" lines, one per
// cookie, whose attributes are no cookie of the session's; a value in
// double quotes is the value without them, as net/http reads it.
func chunksOf(name, input string) ([]string, error) {
	var lines []string
	for line := range strings.Lines(input) {
		line = strings.TrimSpace(line)
		for _, prefix := range []string{"cookie:", "set-cookie:"} {
			if rest, ok := cutPrefixFold(line, prefix); ok {
				line = strings.TrimSpace(rest)
			}
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	input = strings.Join(lines, "; ")
	if input == "" {
		return nil, errors.New("no value to decode: give VALUE, or a value or a Cookie header on standard input")
	}
	// A value never holds "=" (base64url without padding); a Cookie
	// header always does.
	if !strings.Contains(input, "=") {
		return []string{unquote(input)}, nil
	}
	byIndex := map[int]string{}
	var dups []string
	for part := range strings.SplitSeq(input, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v = unquote(v)
		i := 0
		if k != name {
			suffix, ok := strings.CutPrefix(k, name+".")
			n, err := strconv.Atoi(suffix)
			if !ok || err != nil || n < 1 || n >= cookiesession.MaxChunks || strconv.Itoa(n) != suffix {
				continue
			}
			i = n
		}
		if _, seen := byIndex[i]; seen {
			dups = append(dups, k)
			continue
		}
		byIndex[i] = v
	}
	if len(dups) > 0 {
		slices.Sort(dups)
		return nil, fmt.Errorf("the input holds more than one cookie named %s; give the one to decode", strings.Join(slices.Compact(dups), ", "))
	}
	first, ok := byIndex[0]
	if !ok {
		return nil, fmt.Errorf("the input holds no cookie named %q", name)
	}
	n := announcedChunks(first)
	if n < 1 {
		n = 1 // let the codec say what is wrong with it
	}
	var chunks []string
	for i := range n {
		v, ok := byIndex[i]
		if !ok {
			return nil, fmt.Errorf("%w: the value is split over %d cookies but the input has no %s",
				cookiesession.ErrIncomplete, n, chunkName(name, i))
		}
		chunks = append(chunks, v)
	}
	return chunks, nil
}

// unquote strips the double quotes a cookie value may come in.
func unquote(v string) string {
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

func chunkName(name string, i int) string {
	if i == 0 {
		return name
	}
	return name + "." + strconv.Itoa(i)
}

// announcedChunks reads the chunk count from a value's first four
// characters (FORMAT.md, "Reading version, flags and chunk count early"),
// or returns 0 if they are not readable.
func announcedChunks(v string) int {
	h := peekHeader(v, 3)
	if h == nil || h[0] != 1 {
		return 0
	}
	return int(h[2])
}

// peekHeader decodes the first n bytes of a value's header, not yet
// authenticated: good for explaining, never for deciding.
func peekHeader(v string, n int) []byte {
	chars := base64.RawURLEncoding.EncodedLen(n)
	if len(v) < 1+chars || v[0] != '~' {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v[1 : 1+chars])
	// Go's decoder skips CR and LF, so those characters can hold fewer
	// than n bytes; callers index up to n.
	if err != nil || len(b) != n {
		return nil
	}
	return b
}

// explain turns a failure into a sentence that says what to check.
func explain(ring *cookiesession.Keyring, opts decodeOptions, chunks []string, h cookiesession.Header, err error) error {
	joined := strings.Join(chunks, "")
	var claimed string
	if b := peekHeader(joined, 7); b != nil {
		claimed = cookiesession.KeyID(binary.BigEndian.Uint32(b[3:7])).String()
	}
	var ke *cookiesession.KeyError
	switch {
	case errors.As(err, &ke) && errors.Is(err, cookiesession.ErrUnknownKey):
		why := "which the keyring does not hold: it is from another keyring, or newer than this copy of the file"
		if slices.Contains(ring.Deleted(), ke.ID) {
			why = "which was pruned from the keyring"
		}
		return fmt.Errorf("%w: the value was sealed by key %s, %s", err, ke.ID, why)
	case errors.As(err, &ke) && errors.Is(err, cookiesession.ErrRevokedKey):
		return fmt.Errorf("%w: key %s is %s at %s", err, ke.ID, ring.Status(ke.ID, opts.now), opts.now.UTC().Format(time.RFC3339))
	case errors.Is(err, cookiesession.ErrTampered):
		// Either form given as the other fails here: say which to try.
		as, other := "for", "a bearer token (give --token)"
		if opts.token {
			as, other = "as a bearer token of", "a cookie value (decode it without --token)"
		}
		return fmt.Errorf("%w: it claims key %s but does not authenticate %s cookie name %q and purpose %q: "+
			"it was changed or cut short, or sealed for another --name or --purpose, or it is %s",
			err, claimed, as, opts.name, opts.purpose, other)
	case errors.Is(err, cookiesession.ErrExpired):
		return fmt.Errorf("%w: it expired at %s; it is %s (clock skew %v)", err,
			h.Expires.UTC().Format(time.RFC3339), opts.now.UTC().Format(time.RFC3339), opts.skew)
	case errors.Is(err, cookiesession.ErrNotYetValid):
		return fmt.Errorf("%w: it claims to be issued more than %v after %s: a server's clock is ahead", err,
			opts.skew, opts.now.UTC().Format(time.RFC3339))
	case errors.Is(err, cookiesession.ErrMalformed) && !strings.HasPrefix(joined, "~"):
		return fmt.Errorf("%w: it does not start with ~, so it is not a cookiesession value "+
			"(a gorilla/securecookie value, or not a cookie value at all)", err)
	case errors.Is(err, cookiesession.ErrMalformed) && !h.IssuedAt.IsZero():
		// The codec's own words name the Go type it decoded into, which
		// means nothing to an operator: say what they can change instead.
		return fmt.Errorf("%w: it authenticated under key %s, but its payload is not %s: is --serializer %s right?",
			cookiesession.ErrMalformed, h.KeyID, strings.ToUpper(opts.serializer), opts.serializer)
	case errors.Is(err, cookiesession.ErrMalformed):
		if why := valueShape(joined); why != "" {
			return fmt.Errorf("%w: %s", err, why)
		}
	case errors.Is(err, cookiesession.ErrUnsupportedVersion):
		if b := peekHeader(joined, 2); b != nil {
			return fmt.Errorf("%w: its header says format version %d with flags %d; this command reads version 1 "+
				"without flags: a newer cookiesession wrote it, or it is not a cookiesession value", err, b[0], b[1])
		}
	case errors.Is(err, cookiesession.ErrIncomplete):
		return fmt.Errorf("%w: the value announces %d cookies, the input gave %d", err, announcedChunks(chunks[0]), len(chunks))
	}
	return err
}

// valueShape says what is wrong with the text of a value, which starts
// with ~, that the codec refused as malformed before it could try a key:
// a stray character, a length no value has, a value cut short. It returns
// "" if it finds nothing. It looks only at the text, never at what the
// value would hold.
func valueShape(v string) string {
	enc := v[1:]
	if i := strings.IndexFunc(enc, func(r rune) bool {
		return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}); i >= 0 {
		r, _ := utf8.DecodeRuneInString(enc[i:])
		return fmt.Sprintf("character %d after the ~ is %q, which base64url (A-Z, a-z, 0-9, - and _) never holds: "+
			"the value was changed, or copied with something around it", i+1, r)
	}
	shortest := base64.RawURLEncoding.EncodedLen(cookiesession.Overhead)
	if len(enc) < shortest {
		return fmt.Sprintf("it has %d characters after the ~, and even an empty value has %d: it was cut short "+
			"(copied in part, or truncated by a browser, proxy or log)", len(enc), shortest)
	}
	if len(enc)%4 == 1 {
		return fmt.Sprintf("it has %d characters after the ~, a length that base64url never has: "+
			"it was cut short or a character was added", len(enc))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return "its last character holds bits that no writer sets: it was cut short or changed"
	}
	if b[2] == 0 {
		return "its header announces 0 cookies, which no writer does: it was changed"
	}
	return ""
}

// decoded is what sniffer fills: a session a Store wrote, or any value.
type decoded struct {
	session *envelope
	value   any
}

// envelope is the payload of a Store's session (FORMAT.md, "Session
// payload").
type envelope struct {
	ID         []byte                `cbor:"1,keyasint" json:"id"`
	Created    int64                 `cbor:"2,keyasint" json:"created"`
	Data       any                   `cbor:"3,keyasint" json:"data"`
	Flashes    []cookiesession.Flash `cbor:"4,keyasint,omitempty" json:"flashes,omitempty"`
	Persistent *bool                 `cbor:"5,keyasint,omitempty" json:"persistent,omitempty"`
}

// anyKeysCBOR reads CBOR as cookiesession.CBOR does, within the same
// limits, except that a map in an any keeps keys of every type: an
// application's type may write integer keys (a keyasint field), which
// CBOR{} decodes into that type only, and decode has no such type.
type anyKeysCBOR struct{}

var anyKeysDecoder = func() cbor.DecMode {
	dec, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  cookiesession.MaxNesting,
		MaxArrayElements: 65536, // the codec's own limits on what it seals
		MaxMapPairs:      65536,
		UTF8:             cbor.UTF8DecodeInvalid,
		IntDec:           cbor.IntDecConvertSignedOrBigInt,
		BigIntDec:        cbor.BigIntDecodePointer,
		DefaultMapType:   reflect.TypeFor[map[any]any](),
	}.DecMode()
	if err != nil {
		panic(err) // constant options
	}
	return dec
}()

func (anyKeysCBOR) Serialize(v any) ([]byte, error) { return cookiesession.CBOR{}.Serialize(v) }

func (anyKeysCBOR) Deserialize(b []byte, dst any) error { return anyKeysDecoder.Unmarshal(b, dst) }

// sniffer deserializes a payload as a session when it has a session's
// shape, and as any value otherwise.
type sniffer struct{ inner cookiesession.Serializer }

func (s sniffer) Serialize(v any) ([]byte, error) { return s.inner.Serialize(v) }

func (s sniffer) Deserialize(b []byte, dst any) error {
	d := dst.(*decoded)
	var env envelope
	if err := s.inner.Deserialize(b, &env); err == nil && len(env.ID) == 16 {
		d.session = &env
		return nil
	}
	return s.inner.Deserialize(b, &d.value)
}

// secretNames are the parts of a name whose value decode hides, matched
// case-insensitively anywhere in the name. The rule is broad on purpose:
// a support tool that hides a harmless field costs a --show-all, one
// that prints a password leaks it into a ticket. secretNamesHelp lists
// them for the help text, which a test keeps in step.
var secretNames = []string{
	"pass", "pwd", "secret", "token", "jwt", "bearer", "auth", "credential", "cookie", "session", "csrf", "xsrf",
	"key", "private", "signature", "otp", "seed", "pin", "ssn", "salt", "nonce", "hash", "card", "cvv", "cvc", "iban",
	"pw", "pswd", "mnemonic", "phrase", "mfa", "2fa", "recovery",
}

const secretNamesHelp = `  pass pwd secret token jwt bearer auth credential cookie session
  csrf xsrf key private signature otp seed pin ssn salt nonce hash
  card cvv cvc iban pw pswd mnemonic phrase mfa 2fa recovery`

// redacted replaces what decode does not print.
const redacted = "[redacted]"

// printable returns v ready for JSON: maps with keys of any type get
// string keys, and values under secret-looking names are redacted.
func printable(v any, showAll bool) any {
	p := printer{showAll: showAll}
	return p.value(v)
}

// printer turns a decoded payload into what decode prints.
type printer struct {
	showAll bool
	embeds  int // the tag-24 items decoded so far, at most maxEmbedded
}

func (p *printer) value(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = p.entry(k, e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			ks := fmt.Sprint(k)
			out[ks] = p.entry(ks, e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = p.value(e)
		}
		return out
	case cbor.Tag:
		// A tag of a number the decoder does not know keeps its content,
		// which may be a map of secrets: it is printed, and hidden, like
		// any other content, never with fmt.Sprint.
		return map[string]any{"cbor_tag": v.Number, "content": p.tagContent(v)}
	}
	if _, err := json.Marshal(v); err != nil {
		return fmt.Sprint(v)
	}
	return v
}

// maxEmbedded bounds how many CBOR items embedded in byte strings (tag
// 24) one print decodes: each is decoded again from bytes inside the
// payload, so that an item of many embedded levels costs no more than a
// few passes over it.
const maxEmbedded = 16

// tagContent is value of a tag's content. The content of tag 24 is a CBOR
// item in a byte string (RFC 8949, section 3.4.5.1): it is decoded and
// printed as the item it holds, hidden by its names like any other,
// rather than as bytes whose base64 would show it all. One that does not
// decode, or one past maxEmbedded, is hidden whole.
func (p *printer) tagContent(t cbor.Tag) any {
	b, ok := t.Content.([]byte)
	if t.Number != 24 || !ok || p.showAll {
		return p.value(t.Content)
	}
	if p.embeds >= maxEmbedded {
		return redacted
	}
	p.embeds++
	var inner any
	if err := (anyKeysCBOR{}).Deserialize(b, &inner); err != nil {
		return redacted
	}
	return p.value(inner)
}

func (p *printer) entry(name string, v any) any {
	if !p.showAll {
		folded := foldCase(name)
		for _, s := range foldedSecretNames {
			if strings.Contains(folded, s) {
				return redacted
			}
		}
	}
	return p.value(v)
}

// foldedSecretNames are secretNames in foldCase's form.
var foldedSecretNames = func() []string {
	out := make([]string, len(secretNames))
	for i, s := range secretNames {
		out[i] = foldCase(s)
	}
	return out
}()

// foldCase maps every letter of s to one letter of its case: the least of
// the letters Unicode folds together with it. Two names that differ only
// in case, in any script, come out equal, and so do those that spell an s
// as the long s (ſ) or a k as the Kelvin sign, which strings.ToLower
// leaves apart. It takes one pass over s, whatever the payload holds.
func foldCase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// isDevNull reports whether fi is the null device, a character device that
// is no terminal: nobody is typing there.
func isDevNull(fi os.FileInfo) bool {
	null, err := os.Stat(os.DevNull)
	return err == nil && os.SameFile(fi, null)
}

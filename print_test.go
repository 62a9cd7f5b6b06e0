package cookiesession

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spellings returns the ways a printing could show b: base64 in both
// alphabets, hex in both cases, as fmt prints a byte slice or array in
// decimal, and as %#v prints it in Go syntax.
func spellings(b []byte) []string {
	dec := fmt.Sprint(b)
	return []string{
		base64.StdEncoding.EncodeToString(b)[:16],
		base64.RawURLEncoding.EncodeToString(b)[:16],
		hex.EncodeToString(b)[:16],
		strings.ToUpper(hex.EncodeToString(b)[:16]),
		dec[1:min(len(dec), 24)],
		fmt.Sprintf("%#v", b[:3])[len("[]byte{"):],
	}
}

// TestPrintingHidesSecrets prints everything that holds a key or a
// session, with every verb and through slog, and looks for the keys'
// secrets, the session's data, its id and the cookie it came in.
func TestPrintingHidesSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	ring, err := NewKeyring(t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ring, _, err = ring.Rotate(t0, &RotateOptions{ActivationDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	file, err := NewKeyringFile(path, KeyringFileConfig{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var needles []string
	for _, k := range ring.Keys() {
		needles = append(needles, spellings(k.secret.bytes())...)
	}

	type secretData struct{ Password string }
	st, _ := newStore(t, file, Config[secretData]{})
	rec := httptest.NewRecorder()
	s, _ := st.Load(httptest.NewRequest("GET", "/", nil))
	s.Set(secretData{Password: "hunter2-in-the-session"})
	if err := st.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	loaded, err := st.Load(requestWith(rec))
	if err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0].Value
	needles = append(needles, "hunter2-in-the-session", cookie[:24], cookie[len(cookie)-24:])
	needles = append(needles, spellings(loaded.env.ID)...)
	codec, _ := NewCodec(file, CodecConfig{})

	values := map[string]any{
		"Key": ring.Keys()[0], "[]Key": ring.Keys(), "*Keyring": ring, "Keyring": *ring,
		"*KeyringFile": file, "*Codec": codec, "*Store": st,
		"ReloadEvent": ReloadEvent{Path: path, Outcome: KeyringReloaded, Keyring: ring},
		"*Session":    loaded, "Session-after-save": s,
		// Values, not pointers: a copy, or a field of a struct, prints
		// as the pointer does.
		"Session": *loaded,
		"struct of them": struct {
			K    Key
			R    *Keyring
			S    *Session[secretData]
			keys []Key
			SV   Session[secretData]
			RV   Keyring
		}{ring.Keys()[0], ring, loaded, ring.Keys(), *loaded, *ring},
	}
	var out bytes.Buffer
	text := slog.New(slog.NewTextHandler(&out, nil))
	js := slog.New(slog.NewJSONHandler(&out, nil))
	for name, v := range values {
		// %p bypasses Format: fmt prints a value's fields itself (a
		// pointer below the top level as an address); the others go
		// through Format, and are tried for good measure.
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%p", "%t", "%c", "%U", "%e"} {
			fmt.Fprintf(&out, "%s %s: "+verb+"\n", name, verb, v)
		}
		fmt.Fprintln(&out, v)
		text.Info("value", name, v)
		js.Info("value", name, v)
	}
	if os.Getenv("PRINT_TEST_SHOW") != "" {
		t.Log(out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		for _, n := range needles {
			if strings.Contains(line, n) {
				t.Errorf("%q shows a secret: %.100s", n, line)
				break
			}
		}
	}
	// And what they print says what they are.
	if got := fmt.Sprint(ring.Keys()[0]); !strings.Contains(got, ring.Keys()[0].ID.String()) || !strings.Contains(got, "active") {
		t.Errorf("a key prints as %q", got)
	}
	if got := fmt.Sprintf("%+v", loaded); !strings.Contains(got, "KeyID:"+loaded.KeyID().String()) || !strings.Contains(got, "New:false") {
		t.Errorf("a session prints as %q", got)
	}
}

// TestPrintingNil: a nil *Session or *Keyring prints as <nil>, through
// fmt and through String, without a panic.
func TestPrintingNil(t *testing.T) {
	var s *Session[cart]
	var r *Keyring
	for name, got := range map[string]string{
		"Session.String": s.String(), "Keyring.String": r.String(),
		"%v Session": fmt.Sprintf("%v", s), "%+v Keyring": fmt.Sprintf("%+v", r),
	} {
		if got != "<nil>" {
			t.Errorf("%s: %q, want <nil>", name, got)
		}
	}
}

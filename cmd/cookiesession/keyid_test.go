package main

import (
	"encoding/json"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/google/go-cmp/cmp"
)

// TestKeyIDJSON checks that a KeyID is the same 8 hex digits in JSON as in
// the keyring file and the output of this command, as a value and as a
// map key, and that decoding it is as strict as ParseKeyID.
func TestKeyIDJSON(t *testing.T) {
	id := cookiesession.KeyID(0x0a0b0c0d)
	type doc struct {
		ID     cookiesession.KeyID         `json:"id"`
		Opened map[cookiesession.KeyID]int `json:"opened"`
	}
	in := doc{ID: id, Opened: map[cookiesession.KeyID]int{id: 3}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"0a0b0c0d","opened":{"0a0b0c0d":3}}`; string(b) != want || id.String() != "0a0b0c0d" {
		t.Errorf("json %s, String %s; want %s", b, id, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	for _, bad := range []string{`{"id":"0A0B0C0D"}`, `{"id":"a0b0c0d"}`, `{"id":168496141}`, `{"id":""}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("%s: accepted as %s", bad, out.ID)
		}
	}
}

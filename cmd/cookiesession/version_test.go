package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestVersionLine(t *testing.T) {
	goVersion := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"installed at a tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, true,
			"cookiesession v1.2.0 (" + goVersion + ")"},
		{"a pseudo-version names its commit already",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201072419-24055fa1b2c3"}, Settings: vcs("24055fa1b2c3d4e5f6", "false")}, true,
			"cookiesession v0.0.0-20261201072419-24055fa1b2c3 (" + goVersion + ")"},
		{"a checkout with local changes", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("24055fa1b2c3d4e5f6", "true")}, true,
			"cookiesession (devel) (commit 24055fa1b2c3 with local changes, " + goVersion + ")"},
		{"no version at all", &debug.BuildInfo{}, true, "cookiesession (devel) (" + goVersion + ")"},
		{"a replace directive's copy", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-00010101000000-000000000000",
			Replace: &debug.Module{Path: "/src/cookiesession", Version: "(devel)"}}}, true,
			"cookiesession (devel) (from /src/cookiesession, " + goVersion + ")"},
		{"a replace directive's module version", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-00010101000000-000000000000",
			Replace: &debug.Module{Path: "example.com/fork", Version: "v1.3.0"}}}, true,
			"cookiesession v1.3.0 (from example.com/fork, " + goVersion + ")"},
		{"no build information", nil, false, "cookiesession (unknown) (" + goVersion + ")"},
	} {
		if got := versionLine(tc.info, tc.ok); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

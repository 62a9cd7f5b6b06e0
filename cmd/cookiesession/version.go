package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

func (c *cli) version(args []string) int {
	s := newSubcommand("version", "", `Print the version of this command: the module version it was built from
(v1.2.0 after 'go install github.com/cookiesession/cookiesession/cmd/cookiesession@v1.2.0',
a pseudo-version or "(devel)" from a checkout), the commit when the
build recorded one, and the Go version and platform it was built with.
`)
	if _, status, ok := s.parse(c, args); !ok {
		return status
	}
	fmt.Fprintln(c.stdout, versionLine(debug.ReadBuildInfo()))
	return exitOK
}

// versionLine describes the build that info reports, as one line.
func versionLine(info *debug.BuildInfo, ok bool) string {
	version, extra := "(unknown)", []string{}
	if ok {
		version = info.Main.Version
		if version == "" {
			version = "(devel)" // a test binary, or a build outside module mode
		}
		if r := info.Main.Replace; r != nil {
			// Built from a copy that a replace directive points at: the
			// version the requirement names says nothing (the zero
			// pseudo-version, most often), the copy's path does.
			version = "(devel)"
			if r.Version != "" && r.Version != "(devel)" {
				version = r.Version
			}
			extra = append(extra, "from "+r.Path)
		}
		var revision, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		// A pseudo-version already holds the commit; a tagged or devel one
		// does not.
		if revision != "" && !strings.Contains(version, revision[:min(12, len(revision))]) {
			r := "commit " + revision[:min(12, len(revision))]
			if modified == "true" {
				r += " with local changes"
			}
			extra = append(extra, r)
		}
	}
	extra = append(extra, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return "cookiesession " + version + " (" + strings.Join(extra, ", ") + ")"
}

// Package buildinfo reports which rallypoint build is running, for the
// version command, logs and metrics.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at link time with -ldflags "-X ...buildinfo.Version=v1.2.3";
// otherwise it is read from the module information Go embeds in the binary.
var Version = ""

// Get returns the version and, when the binary was built from a VCS checkout,
// the revision it was built from.
func Get() (version, revision string) {
	version = Version
	info, ok := debug.ReadBuildInfo()
	if ok {
		if version == "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	return version, revision
}

// String is the one-line form printed by "rallypoint version".
func String() string {
	v, rev := Get()
	s := fmt.Sprintf("rallypoint %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if rev != "" {
		s += " revision " + rev
	}
	return s
}

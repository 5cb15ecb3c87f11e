package beacon

import "net/netip"

// The wire format, described in the package comment.
const (
	magic      = "RPB1"
	kindProbe  = 'P'
	kindEcho   = 'E'
	offKind    = len(magic)
	offNonce   = offKind + 1
	offSeq     = offNonce + 8
	headerSize = offSeq + 4 // 17: a probe without padding
	maxSize    = 64

	// minPort is the lowest source port a beacon answers: below it are
	// the well-known services a forged probe could aim an answer at.
	minPort = 1024
)

// echo turns a received probe into its echo in place and reports whether
// it is one to answer. Anything else is left for the caller to drop.
func echo(b []byte) bool {
	if len(b) < headerSize || len(b) > maxSize || string(b[:offKind]) != magic || b[offKind] != kindProbe {
		return false
	}
	b[offKind] = kindEcho
	return true
}

// answerable reports whether a beacon may send to the sender of a probe.
func answerable(from netip.AddrPort) bool {
	a := from.Addr()
	return from.Port() >= minPort && a.IsValid() && !a.IsUnspecified() && !a.IsMulticast()
}

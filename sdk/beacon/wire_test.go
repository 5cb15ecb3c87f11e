package beacon

import (
	"bytes"
	"net/netip"
	"testing"
)

func probeBytes(size int) []byte {
	b := make([]byte, size)
	copy(b, magic)
	if size > offKind {
		b[offKind] = kindProbe
	}
	for i := offNonce; i < size; i++ {
		b[i] = byte(i)
	}
	return b
}

func TestEcho(t *testing.T) {
	wrongMagic := probeBytes(headerSize)
	copy(wrongMagic, "RPB2")
	anEcho := probeBytes(headerSize)
	anEcho[offKind] = kindEcho
	for _, tc := range []struct {
		name   string
		in     []byte
		answer bool
	}{
		{"header only", probeBytes(headerSize), true},
		{"padded to the limit", probeBytes(maxSize), true},
		{"a byte too long", probeBytes(maxSize + 1), false},
		{"a byte too short", probeBytes(headerSize - 1), false},
		{"empty", nil, false},
		{"another magic", wrongMagic, false},
		{"an echo", anEcho, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(tc.in)
			if got := echo(b); got != tc.answer {
				t.Fatalf("echo = %v, want %v", got, tc.answer)
			}
			if !tc.answer {
				if !bytes.Equal(b, tc.in) {
					t.Errorf("a dropped datagram was changed: %q", b)
				}
				return
			}
			want := bytes.Clone(tc.in)
			want[offKind] = kindEcho
			if !bytes.Equal(b, want) {
				t.Errorf("echo = %q, want %q", b, want)
			}
		})
	}
}

func TestAnswerable(t *testing.T) {
	for _, tc := range []struct {
		from string
		want bool
	}{
		{"127.0.0.1:40000", true},
		{"[::1]:1024", true},
		{"[::ffff:198.51.100.7]:51234", true},
		{"127.0.0.1:1023", false}, // well-known ports: echo, DNS, NTP, ...
		{"127.0.0.1:53", false},
		{"0.0.0.0:40000", false},
		{"[ff02::1]:40000", false},
		{"224.0.0.1:40000", false},
	} {
		if got := answerable(netip.MustParseAddrPort(tc.from)); got != tc.want {
			t.Errorf("answerable(%s) = %v, want %v", tc.from, got, tc.want)
		}
	}
}

package identity

import (
	"context"
	"encoding/base64"
	"testing"
)

// RunMaintenance runs one round of what Run does on its ticker.
func RunMaintenance(t testing.TB, s *Service) {
	t.Helper()
	if err := s.keys.maintain(context.Background()); err != nil {
		t.Fatalf("key maintenance: %v", err)
	}
}

// DecodeSegment decodes a JWT segment.
func DecodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

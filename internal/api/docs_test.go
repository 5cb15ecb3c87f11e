package api_test

import (
	"os"
	"strings"
	"testing"
)

// TestCompatibilityDocCoversEveryOperation keeps docs/compatibility.md
// honest: every operation the server answers appears in its table, in a
// row that does not call it "not yet".
func TestCompatibilityDocCoversEveryOperation(t *testing.T) {
	doc, err := os.ReadFile("../../docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, name := range strings.Split(cells[1], ",") {
			rows[strings.TrimSpace(name)] = strings.TrimSpace(cells[2])
		}
	}
	n := startNode(t, "")
	for _, op := range n.ControlPlaneOperations() {
		status, ok := rows[op]
		switch {
		case !ok:
			t.Errorf("docs/compatibility.md has no row for %s", op)
		case strings.HasPrefix(status, "not"):
			t.Errorf("docs/compatibility.md says %s is %q, but the server answers it", op, status)
		}
	}
}

package node

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// AccessKeyFile is where a generated access key is kept, under the data
// directory.
const AccessKeyFile = "access-key"

// ParseAccessKey reads "ID:SECRET".
func ParseAccessKey(s string) (sigv4.Credentials, error) {
	id, secret, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || id == "" || secret == "" {
		return sigv4.Credentials{}, errors.New("access key must be ID:SECRET")
	}
	if strings.ContainsAny(id, "/ \t") {
		return sigv4.Credentials{}, fmt.Errorf("access key id %q must not contain '/' or spaces", id)
	}
	return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
}

// LoadOrCreateAccessKey returns the access key stored in dataDir, creating
// it (mode 0600) on the first start. created says whether it was just made,
// so the caller can show the secret exactly once.
func LoadOrCreateAccessKey(dataDir string) (key sigv4.Credentials, created bool, err error) {
	path := filepath.Join(dataDir, AccessKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseAccessKey(string(b))
		if err != nil {
			return sigv4.Credentials{}, false, fmt.Errorf("%s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return sigv4.Credentials{}, false, fmt.Errorf("read access key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return sigv4.Credentials{}, false, fmt.Errorf("create data directory: %w", err)
	}
	key = sigv4.Credentials{
		AccessKeyID:     "RPAK" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		SecretAccessKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
	}
	// O_EXCL: two processes starting on one data dir must not both write.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateAccessKey(dataDir)
	}
	if err != nil {
		return sigv4.Credentials{}, false, fmt.Errorf("store access key: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%s:%s\n", key.AccessKeyID, key.SecretAccessKey); err != nil {
		f.Close()
		return sigv4.Credentials{}, false, fmt.Errorf("store access key: %w", err)
	}
	if err := f.Close(); err != nil {
		return sigv4.Credentials{}, false, fmt.Errorf("store access key: %w", err)
	}
	return key, true, nil
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

package api

import (
	"encoding/base64"
	"net/http"
)

// paginate returns one page of items (already in a stable order) after the
// position in nextToken, and the token of the next page. Tokens are opaque
// to clients: base64 of the key of the last item returned, so a page stays
// correct when items before it are added or removed.
func paginate[T any](items []T, key func(T) string, limit *int32, defaultLimit int, nextToken *string) ([]T, *string, error) {
	start := 0
	if nextToken != nil {
		after, err := base64.RawURLEncoding.DecodeString(*nextToken)
		if err != nil || len(after) == 0 {
			return nil, nil, &Error{Status: http.StatusBadRequest, Type: CodeInvalidRequest, Message: "NextToken is not a token this service returned"}
		}
		start = len(items)
		for i, it := range items {
			if key(it) > string(after) {
				start = i
				break
			}
		}
	}
	n := defaultLimit
	if limit != nil {
		n = int(*limit)
	}
	end := min(start+n, len(items))
	page := items[start:end]
	if end < len(items) && len(page) > 0 {
		t := base64.RawURLEncoding.EncodeToString([]byte(key(page[len(page)-1])))
		return page, &t, nil
	}
	return page, nil, nil
}

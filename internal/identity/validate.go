package identity

import (
	"regexp"
	"unicode/utf8"
)

// Limits and patterns of the Cognito identity API's members (from its
// model); every pattern must match the whole value.
var (
	regionPattern        = regexp.MustCompile(`^[\w-]+$`)
	idPattern            = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)
	poolNamePattern      = regexp.MustCompile(`^[\w\s+=,.@-]+$`)
	developerNamePattern = regexp.MustCompile(`^[\w._-]+$`)
	accountIDPattern     = regexp.MustCompile(`^\d+$`)
	paginationKeyPattern = regexp.MustCompile(`^\S+$`)
	// Cognito's pattern for a provider's app id is [\w.;_/-]+; rallypoint
	// also accepts ',' so that several client ids can be listed.
	providerIDPattern = regexp.MustCompile(`^[\w.;_/,-]+$`)
)

const (
	maxIDLen              = 55
	maxPoolNameLen        = 128
	maxProviderNameLen    = 128
	maxProviderIDLen      = 128
	maxProviders          = 10
	maxLogins             = 10
	maxLoginTokenLen      = 50000
	maxDeveloperUserLen   = 1024
	maxPaginationKeyLen   = 65535
	maxQueryLimit         = 60
	minARNLen, maxARNLen  = 20, 2048
	maxTagKeyLen          = 128
	maxTagValueLen        = 256
	maxTags               = 50
	maxPrincipalTags      = 50
	maxPrincipalTagKeyLen = 128
	maxPrincipalTagValLen = 256
	// maxSubjectLen bounds a provider's subject (and a developer user id),
	// which become part of a key.
	maxSubjectLen = maxDeveloperUserLen
)

func strLen(s string) int { return utf8.RuneCountInString(s) }

// checkID validates an identity or pool id member.
func checkID(member, v string, required bool) *Error {
	if v == "" {
		if required {
			return invalidParameter("%s is required.", member)
		}
		return nil
	}
	if len(v) > maxIDLen || !idPattern.MatchString(v) {
		return invalidParameter("%s %q is not in the form REGION:GUID (at most %d characters).", member, v, maxIDLen)
	}
	return nil
}

// checkLogins validates a Logins map: at most 10 entries, names of 1-128
// characters, tokens of 1-50000.
func checkLogins(logins map[string]string) *Error {
	if len(logins) > maxLogins {
		return invalidParameter("Logins has %d entries; at most %d are allowed.", len(logins), maxLogins)
	}
	for name, token := range logins {
		if name == "" || strLen(name) > maxProviderNameLen {
			return invalidParameter("Logins: a provider name must have 1 to %d characters.", maxProviderNameLen)
		}
		if token == "" || len(token) > maxLoginTokenLen {
			return invalidParameter("Logins[%q]: the token must have 1 to %d characters.", name, maxLoginTokenLen)
		}
	}
	return nil
}

func checkPagination(maxResults int32, required bool, nextToken string) *Error {
	if maxResults == 0 && required {
		return invalidParameter("MaxResults is required.")
	}
	if maxResults != 0 && (maxResults < 1 || maxResults > maxQueryLimit) {
		return invalidParameter("MaxResults must be between 1 and %d.", maxQueryLimit)
	}
	if nextToken != "" && (len(nextToken) > maxPaginationKeyLen || !paginationKeyPattern.MatchString(nextToken)) {
		return invalidParameter("NextToken is not a token this service returned.")
	}
	return nil
}

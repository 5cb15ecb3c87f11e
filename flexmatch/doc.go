// Package flexmatch is rallypoint's FlexMatch engine: it reads FlexMatch
// rule sets (ruleLanguageVersion 1.0) and builds matches from a pool of
// matchmaking tickets the way GameLift FlexMatch does.
//
// It is the pure core of matchmaking. The matchmaking service owns one
// [Matchmaker] per matchmaking configuration, adds and removes tickets as
// players start and stop searching, and calls [Matchmaker.Cycle] about once a
// second with the current time; everything with side effects (storage,
// events, acceptance, timeouts, placement) stays in the service. The package
// does no I/O, starts no goroutines and reads no clock: time comes in as an
// argument, and the only randomness (batch shuffling) comes from the seed in
// [Config], so a given sequence of calls always produces the same matches.
//
// A rule set is parsed and checked once with [ParseRuleSet]; [ValidateRuleSet]
// reports every problem with the JSON path where it occurs, for the
// `rallypoint flexmatch validate` command and the CreateMatchmakingRuleSet
// and ValidateMatchmakingRuleSet operations. docs/flexmatch.md lists which
// FlexMatch features are supported and how the places where the FlexMatch
// documentation is ambiguous were resolved.
package flexmatch

package query_test

import (
	"fmt"
	"slices"

	"github.com/rallypoint/rallypoint/internal/fleet/query"
)

func Example() {
	sessions := []query.Fields{
		{GameSessionName: "dusk", MaximumSessions: 10, CreationTimeMillis: 300, PlayerSessionCount: 2,
			HasAvailablePlayerSessions: true, Properties: map[string]string{"gameMode": "brawl"}},
		{GameSessionName: "dawn", MaximumSessions: 10, CreationTimeMillis: 100, PlayerSessionCount: 10},
		{GameSessionName: "noon", MaximumSessions: 16, CreationTimeMillis: 200, PlayerSessionCount: 3,
			HasAvailablePlayerSessions: true},
	}
	filter, err := query.ParseFilter("maximumSessions>=10 AND hasAvailablePlayerSessions=true")
	if err != nil {
		panic(err)
	}
	order, err := query.ParseSort("creationTimeMillis ASC")
	if err != nil {
		panic(err)
	}
	var found []query.Fields
	for _, s := range sessions {
		if filter.Match(s) {
			found = append(found, s)
		}
	}
	slices.SortStableFunc(found, order.Compare)
	for _, s := range found {
		fmt.Println(s.GameSessionName)
	}

	_, err = query.ParseFilter("maximumSessions >= 'ten'")
	fmt.Println(err)
	// Output:
	// noon
	// dusk
	// at position 19: maximumSessions takes an integer, found string 'ten'
}

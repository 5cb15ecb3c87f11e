package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

// TestDeleteFleetRacesRegisterCompute runs DeleteFleet against many
// concurrent registrations: whatever the interleaving, the fleet is either
// deleted with no compute left behind, or kept with its computes.
func TestDeleteFleetRacesRegisterCompute(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		e := enginetest.Open(t)
		s := newService(t, e, &clock{t: time.Now()})
		if _, err := s.CreateLocation(ctx, "custom-lab", nil); err != nil {
			t.Fatal(err)
		}
		f, err := s.CreateFleet(ctx, fleet.CreateFleetInput{Name: "arena", ComputeType: fleet.ComputeTypeAnywhere, Locations: []string{"custom-lab"}})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var deleteErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			deleteErr = s.DeleteFleet(ctx, f.ID)
		}()
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.RegisterCompute(ctx, fleet.RegisterComputeInput{FleetID: f.ID, Name: fmt.Sprintf("h%d", i), IPAddress: "10.0.0.1", Location: "custom-lab"})
				var fe *fleet.Error
				if err != nil && !errors.As(err, &fe) {
					t.Errorf("register: %v", err)
				}
			}()
		}
		wg.Wait()

		_, ferr := s.Fleet(ctx, f.ID)
		leftovers, err := e.Bucket("rp_computes").ListKeys(ctx)
		var keys []string
		if err == nil {
			for k := range leftovers.Keys() {
				keys = append(keys, k)
			}
		}
		switch {
		case deleteErr == nil:
			if !errors.Is(ferr, fleet.ErrNotFound) {
				t.Fatalf("round %d: delete succeeded but the fleet is still there: %v", round, ferr)
			}
			if len(keys) != 0 {
				t.Fatalf("round %d: fleet deleted with computes left behind: %v", round, keys)
			}
		case errors.Is(deleteErr, fleet.ErrInvalidFleetStatus):
			f2, err := s.Fleet(ctx, f.ID)
			if err != nil || f2.Status != fleet.StatusActive {
				t.Fatalf("round %d: refused delete left the fleet %+v, %v", round, f2, err)
			}
		default:
			t.Fatalf("round %d: delete: %v", round, deleteErr)
		}
	}
}

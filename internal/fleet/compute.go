package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Compute statuses.
const (
	ComputeActive      = "ACTIVE"
	ComputeImpaired    = "IMPAIRED"
	ComputeTerminating = "TERMINATING"
)

// Compute is a machine registered into a fleet location, where game server
// processes run and connect back with the server SDK.
type Compute struct {
	FleetID         string    `json:"fleetId"`
	Name            string    `json:"name"`
	ARN             string    `json:"arn"`
	IPAddress       string    `json:"ipAddress,omitempty"`
	DNSName         string    `json:"dnsName,omitempty"`
	Location        string    `json:"location"`
	CertificatePath string    `json:"certificatePath,omitempty"`
	Status          string    `json:"status"`
	CreatedAt       time.Time `json:"createdAt"`
}

// computeKey is <fleet>.<compute>; a compute name may hold one '/', which
// KV keys allow.
func computeKey(fleetID, name string) string { return fleetID + "." + name }

// RegisterComputeInput holds what RegisterCompute takes.
type RegisterComputeInput struct {
	FleetID         string
	Name            string
	IPAddress       string
	DNSName         string
	Location        string
	CertificatePath string
}

// RegisterCompute registers a compute into one of the fleet's custom
// locations. Registering the same name again with the same address and
// location returns the existing compute (a restarted host re-registers);
// with different ones it is a conflict.
func (s *Service) RegisterCompute(ctx context.Context, in RegisterComputeInput) (Compute, error) {
	fleetID := idFromARN(in.FleetID, "fleet")
	f, err := s.registrableFleet(ctx, fleetID, in.Location)
	if err != nil {
		return Compute{}, err
	}
	if in.IPAddress == "" {
		return Compute{}, newError(ErrInvalidRequest, "IpAddress is required to register a compute into an Anywhere fleet.")
	}
	c := Compute{
		FleetID:         f.ID,
		Name:            in.Name,
		ARN:             s.arn("compute/" + in.Name),
		IPAddress:       in.IPAddress,
		DNSName:         in.DNSName,
		Location:        in.Location,
		CertificatePath: in.CertificatePath,
		Status:          ComputeActive,
		CreatedAt:       s.now(),
	}
	if _, err := engine.Create(ctx, s.cfg.Computes, computeKey(f.ID, in.Name), c); err != nil {
		if !errors.Is(err, engine.ErrExists) {
			return Compute{}, fmt.Errorf("register compute %s in fleet %s: %w", in.Name, f.ID, err)
		}
		existing, err := s.Compute(ctx, f.ID, in.Name)
		if err != nil {
			return Compute{}, err
		}
		if existing.IPAddress != c.IPAddress || existing.DNSName != c.DNSName || existing.Location != c.Location {
			return Compute{}, newError(ErrConflict, "Compute %s is already registered in fleet %s with another address or location; deregister it first.", in.Name, f.ID)
		}
		return existing, nil
	}
	// A concurrent DeleteFleet or location removal may have started after
	// the check above; if so, undo the registration rather than leave a
	// compute in a fleet that no longer takes it.
	if _, err := s.registrableFleet(ctx, fleetID, in.Location); err != nil {
		if derr := s.cfg.Computes.Delete(ctx, computeKey(f.ID, in.Name)); derr != nil {
			s.log.Error("could not undo a compute registration", "fleet", f.ID, "compute", in.Name, "error", derr)
		}
		return Compute{}, err
	}
	s.log.Info("compute registered", "fleet", f.ID, "compute", in.Name, "location", in.Location, "ip", in.IPAddress)
	return c, nil
}

// registrableFleet returns the fleet if a compute may register into
// location now.
func (s *Service) registrableFleet(ctx context.Context, fleetID, location string) (Fleet, error) {
	f, _, err := s.getFleet(ctx, fleetID)
	if err != nil {
		// RegisterCompute's errors do not include NotFoundException in
		// GameLift's model, so an unknown fleet is an invalid request.
		if errors.Is(err, ErrNotFound) {
			return Fleet{}, newError(ErrInvalidRequest, "Fleet %s not found.", fleetID)
		}
		return Fleet{}, err
	}
	switch f.Status {
	case StatusActive:
	case StatusNew:
		return Fleet{}, newError(ErrNotReady, "Fleet %s is not ACTIVE yet; retry in a moment.", f.ID)
	default:
		return Fleet{}, newError(ErrInvalidRequest, "Fleet %s is %s and takes no computes.", f.ID, f.Status)
	}
	if location == "" {
		return Fleet{}, newError(ErrInvalidRequest, "Location is required: name one of fleet %s's custom locations (%s).", f.ID, strings.Join(f.CustomLocations(), ", "))
	}
	if !slices.Contains(f.CustomLocations(), location) {
		return Fleet{}, newError(ErrInvalidRequest, "Location %s is not a custom location of fleet %s (it has: %s).", location, f.ID, strings.Join(f.CustomLocations(), ", "))
	}
	return f, nil
}

// Compute returns one registered compute; the name may be an ARN.
func (s *Service) Compute(ctx context.Context, fleetIDOrARN, nameOrARN string) (Compute, error) {
	fleetID := idFromARN(fleetIDOrARN, "fleet")
	name := idFromARN(nameOrARN, "compute")
	c, _, err := load[Compute](ctx, s.cfg.Computes, computeKey(fleetID, name), "Compute", name, " in fleet "+fleetID)
	return c, err
}

// Computes lists a fleet's computes ordered by name, optionally only those
// in one location or with one status.
func (s *Service) Computes(ctx context.Context, fleetIDOrARN, location, status string) ([]Compute, error) {
	fleetID := idFromARN(fleetIDOrARN, "fleet")
	if _, err := s.Fleet(ctx, fleetID); err != nil {
		return nil, err
	}
	all, err := s.listComputes(ctx, fleetID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if (location == "" || c.Location == location) && (status == "" || c.Status == status) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *Service) listComputes(ctx context.Context, fleetID string) ([]Compute, error) {
	cs, err := listSorted(ctx, s.cfg.Computes, fleetID+".>", func(c Compute) string { return c.Name })
	if err != nil {
		return nil, fmt.Errorf("list computes of fleet %s: %w", fleetID, err)
	}
	return cs, nil
}

// DeregisterCompute removes a compute from its fleet.
func (s *Service) DeregisterCompute(ctx context.Context, fleetIDOrARN, nameOrARN string) error {
	fleetID := idFromARN(fleetIDOrARN, "fleet")
	name := idFromARN(nameOrARN, "compute")
	_, rev, err := load[Compute](ctx, s.cfg.Computes, computeKey(fleetID, name), "Compute", name, " in fleet "+fleetID)
	if err != nil {
		return err
	}
	if err := remove(ctx, s.cfg.Computes, computeKey(fleetID, name), rev, "Compute", name); err != nil {
		return err
	}
	s.log.Info("compute deregistered", "fleet", fleetID, "compute", name)
	// Its processes can no longer reconnect (their tokens name a compute
	// that is gone), so they and their game sessions end now.
	procs, err := s.processes(ctx, fleetID)
	if err != nil {
		return err
	}
	for _, p := range procs {
		if p.Compute == name && p.Status != ProcessTerminated {
			if err := s.loseProcess(ctx, p.Ref(), "compute deregistered"); err != nil {
				var e *Error
				if !errors.As(err, &e) {
					return err
				}
			}
		}
	}
	return nil
}

// ServiceSDKEndpoint is the URL game servers on computes dial.
func (s *Service) ServiceSDKEndpoint() string { return s.cfg.ServiceSDKEndpoint }

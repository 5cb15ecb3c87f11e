package matchmaking

import (
	"context"
	"errors"
)

// Temporary: replaced by tickets.go and run.go.

var errTODO = errors.New("matchmaking: not yet built")

type owner struct{}

// Metrics records matchmaking metrics.
type Metrics struct{}

func (s *Service) StartMatchmaking(ctx context.Context, in StartInput) (Ticket, error) {
	return Ticket{}, errTODO
}
func (s *Service) Tickets(ctx context.Context, ids []string) ([]Ticket, error) { return nil, errTODO }
func (s *Service) StopMatchmaking(ctx context.Context, id string) error       { return errTODO }
func (s *Service) AcceptMatch(ctx context.Context, ticketID string, playerIDs []string, acceptanceType string) error {
	return errTODO
}
func (s *Service) StartMatchBackfill(ctx context.Context, in BackfillInput) (Ticket, error) {
	return Ticket{}, errTODO
}
func (s *Service) StopMatchBackfill(ctx context.Context, id string) error { return errTODO }
func (s *Service) activeTickets(config string) int                       { return 0 }
func (s *Service) configChanged(name string)                             {}

package placement

import "context"

// CreateQueue creates a game session queue.
func (s *Service) CreateQueue(ctx context.Context, in QueueInput) (Queue, error) { panic("todo") }

// Queue returns one queue by name or ARN.
func (s *Service) Queue(ctx context.Context, nameOrARN string) (Queue, error) { panic("todo") }

// Queues returns the named queues (names or ARNs; unknown ones are left
// out), or every queue when names is empty, ordered by name.
func (s *Service) Queues(ctx context.Context, names []string) ([]Queue, error) { panic("todo") }

// UpdateQueue changes the members of in that are set.
func (s *Service) UpdateQueue(ctx context.Context, nameOrARN string, in QueueInput) (Queue, error) {
	panic("todo")
}

// DeleteQueue deletes a queue; its pending placements fail.
func (s *Service) DeleteQueue(ctx context.Context, nameOrARN string) error { panic("todo") }

// StartPlacement records a PENDING placement; the queue's owner places it.
func (s *Service) StartPlacement(ctx context.Context, in StartInput) (Placement, error) {
	panic("todo")
}

// Placement returns one placement.
func (s *Service) Placement(ctx context.Context, id string) (Placement, error) { panic("todo") }

// StopPlacement cancels a PENDING placement that has no game session yet.
func (s *Service) StopPlacement(ctx context.Context, id string) (Placement, error) { panic("todo") }

// Run owns queues until ctx ends.
func (s *Service) Run(ctx context.Context) error { <-ctx.Done(); return nil }

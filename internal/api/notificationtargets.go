package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/rallypoint/rallypoint/internal/events"
)

// Notification targets are a rallypoint extension: GameLift sends a
// queue's or a matchmaking configuration's events to the SNS topic named
// by its NotificationTarget; rallypoint sends them to an HTTP(S) endpoint
// registered here under an SNS-shaped ARN. The operations follow
// GameLift's conventions (PascalCase members, Describe with Names, Limit
// and NextToken) so that the same clients and tooling can call them.

var (
	patTargetName      = mustPattern(`[A-Za-z0-9_-]+`)
	patTargetNameOrARN = mustPattern(`[A-Za-z0-9_-]+|arn:[^:]+:sns:[^:]*:[^:]*:[A-Za-z0-9_-]+`)
	patSecret          = mustPattern(`[!-~]+`)
)

// dropNotificationTargetOps removes the notification target operations
// from a server that has no store for them: a caller then gets
// UnknownOperationException, as from a server that never had them.
func dropNotificationTargetOps(ops map[string]operation) {
	for _, name := range []string{"CreateNotificationTarget", "DescribeNotificationTargets", "UpdateNotificationTarget", "DeleteNotificationTarget"} {
		delete(ops, name)
	}
}

// NotificationTarget is a notification target on the wire. Its secret is
// never part of it: CreateNotificationTarget returns that separately, once.
type NotificationTarget struct {
	Name                  *string    `json:"Name,omitempty"`
	NotificationTargetArn *string    `json:"NotificationTargetArn,omitempty"`
	Endpoint              *string    `json:"Endpoint,omitempty"`
	Description           *string    `json:"Description,omitempty"`
	CreationTime          *Timestamp `json:"CreationTime,omitempty"`
}

func notificationTargetOut(t events.Target) NotificationTarget {
	return NotificationTarget{
		Name:                  ptr(t.Name),
		NotificationTargetArn: ptr(t.ARN),
		Endpoint:              ptr(t.Endpoint),
		Description:           optString(t.Description),
		CreationTime:          NewTimestamp(t.CreatedAt),
	}
}

type CreateNotificationTargetInput struct {
	Name        *string `json:"Name,omitempty"`
	Endpoint    *string `json:"Endpoint,omitempty"`
	Secret      *string `json:"Secret,omitempty"`
	Description *string `json:"Description,omitempty"`
}

func (in *CreateNotificationTargetInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, events.MaxTargetNameLen, patTargetName)
	c.requiredStr("Endpoint", in.Endpoint, 1, events.MaxEndpointLen, nil)
	c.str("Secret", in.Secret, events.MinSecretLen, events.MaxSecretLen, patSecret)
	c.str("Description", in.Description, 0, events.MaxDescriptionLen, nil)
}

type CreateNotificationTargetOutput struct {
	NotificationTarget *NotificationTarget `json:"NotificationTarget,omitempty"`
	// Secret keys the signatures of the target's deliveries; this is the
	// only response that carries it.
	Secret *string `json:"Secret,omitempty"`
}

func (s *Server) createNotificationTarget(ctx context.Context, in *CreateNotificationTargetInput) (*CreateNotificationTargetOutput, error) {
	t, err := s.cfg.Targets.Create(ctx, events.TargetInput{
		Name:        *in.Name,
		Endpoint:    *in.Endpoint,
		Secret:      deref(in.Secret),
		Description: deref(in.Description),
	})
	if err != nil {
		return nil, err
	}
	out := notificationTargetOut(t)
	return &CreateNotificationTargetOutput{NotificationTarget: &out, Secret: ptr(t.Secret)}, nil
}

type DescribeNotificationTargetsInput struct {
	Names     []string `json:"Names,omitempty"`
	Limit     *int32   `json:"Limit,omitempty"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (in *DescribeNotificationTargetsInput) validate(c *checker) {
	c.listLen("Names", len(in.Names), in.Names != nil, 0, 100)
	for i := range in.Names {
		c.str(fmtMember("Names", i, ""), &in.Names[i], 1, 512, patTargetNameOrARN)
	}
	c.page(in.Limit, 100, in.NextToken)
}

type DescribeNotificationTargetsOutput struct {
	NotificationTargets []NotificationTarget `json:"NotificationTargets"`
	NextToken           *string              `json:"NextToken,omitempty"`
}

func (s *Server) describeNotificationTargets(ctx context.Context, in *DescribeNotificationTargetsInput) (*DescribeNotificationTargetsOutput, error) {
	var all []events.Target
	if len(in.Names) == 0 {
		var err error
		if all, err = s.cfg.Targets.List(ctx); err != nil {
			return nil, err
		}
	} else {
		// As DescribeGameSessionQueues does with Names: unknown names are
		// left out rather than failing the call.
		for _, name := range in.Names {
			t, err := s.cfg.Targets.Get(ctx, name)
			if errors.Is(err, events.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			all = append(all, t)
		}
		slices.SortFunc(all, func(a, b events.Target) int { return strings.Compare(a.Name, b.Name) })
		all = slices.CompactFunc(all, func(a, b events.Target) bool { return a.Name == b.Name })
	}
	page, next, err := paginate(all, func(t events.Target) string { return t.Name }, in.Limit, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeNotificationTargetsOutput{NotificationTargets: make([]NotificationTarget, 0, len(page)), NextToken: next}
	for _, t := range page {
		out.NotificationTargets = append(out.NotificationTargets, notificationTargetOut(t))
	}
	return out, nil
}

type UpdateNotificationTargetInput struct {
	Name        *string `json:"Name,omitempty"`
	Endpoint    *string `json:"Endpoint,omitempty"`
	Secret      *string `json:"Secret,omitempty"`
	Description *string `json:"Description,omitempty"`
}

func (in *UpdateNotificationTargetInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, 512, patTargetNameOrARN)
	c.str("Endpoint", in.Endpoint, 1, events.MaxEndpointLen, nil)
	c.str("Secret", in.Secret, events.MinSecretLen, events.MaxSecretLen, patSecret)
	c.str("Description", in.Description, 0, events.MaxDescriptionLen, nil)
}

type NotificationTargetOutput struct {
	NotificationTarget *NotificationTarget `json:"NotificationTarget,omitempty"`
}

func (s *Server) updateNotificationTarget(ctx context.Context, in *UpdateNotificationTargetInput) (*NotificationTargetOutput, error) {
	t, err := s.cfg.Targets.Update(ctx, *in.Name, events.TargetUpdate{
		Endpoint:    in.Endpoint,
		Secret:      in.Secret,
		Description: in.Description,
	})
	if err != nil {
		return nil, err
	}
	out := notificationTargetOut(t)
	return &NotificationTargetOutput{NotificationTarget: &out}, nil
}

type DeleteNotificationTargetInput struct {
	Name *string `json:"Name,omitempty"`
}

func (in *DeleteNotificationTargetInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, 512, patTargetNameOrARN)
}

func (s *Server) deleteNotificationTarget(ctx context.Context, in *DeleteNotificationTargetInput) (*struct{}, error) {
	return nil, s.cfg.Targets.Delete(ctx, *in.Name)
}

package api

import (
	"context"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

type Compute struct {
	FleetId                    *string    `json:"FleetId,omitempty"`
	FleetArn                   *string    `json:"FleetArn,omitempty"`
	ComputeName                *string    `json:"ComputeName,omitempty"`
	ComputeArn                 *string    `json:"ComputeArn,omitempty"`
	IpAddress                  *string    `json:"IpAddress,omitempty"`
	DnsName                    *string    `json:"DnsName,omitempty"`
	ComputeStatus              string     `json:"ComputeStatus,omitempty"`
	Location                   *string    `json:"Location,omitempty"`
	CreationTime               *Timestamp `json:"CreationTime,omitempty"`
	GameLiftServiceSdkEndpoint *string    `json:"GameLiftServiceSdkEndpoint,omitempty"`
}

func (s *Server) computeOut(c fleet.Compute) Compute {
	return Compute{
		FleetId:                    ptr(c.FleetID),
		FleetArn:                   ptr(s.fleetARN(c.FleetID)),
		ComputeName:                ptr(c.Name),
		ComputeArn:                 ptr(c.ARN),
		IpAddress:                  optString(c.IPAddress),
		DnsName:                    optString(c.DNSName),
		ComputeStatus:              c.Status,
		Location:                   ptr(c.Location),
		CreationTime:               NewTimestamp(c.CreatedAt),
		GameLiftServiceSdkEndpoint: optString(s.cfg.Fleets.ServiceSDKEndpoint()),
	}
}

// fleetARN forms a fleet's ARN without reading the fleet.
func (s *Server) fleetARN(id string) string {
	return "arn:rallypoint:gamelift:" + s.cfg.Fleets.Region() + "::fleet/" + id
}

type RegisterComputeInput struct {
	FleetId         *string `json:"FleetId,omitempty"`
	ComputeName     *string `json:"ComputeName,omitempty"`
	CertificatePath *string `json:"CertificatePath,omitempty"`
	DnsName         *string `json:"DnsName,omitempty"`
	IpAddress       *string `json:"IpAddress,omitempty"`
	Location        *string `json:"Location,omitempty"`
}

func (in *RegisterComputeInput) validate(c *checker) {
	c.requiredStr("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	c.requiredStr("ComputeName", in.ComputeName, 1, 128, patComputeName)
	c.str("CertificatePath", in.CertificatePath, 1, 1024, nil)
	c.str("DnsName", in.DnsName, 1, 256, patDNSName)
	c.str("IpAddress", in.IpAddress, 1, 128, patIPAddress)
	c.str("Location", in.Location, 1, 64, patLocation)
}

type ComputeOutput struct {
	Compute *Compute `json:"Compute,omitempty"`
}

func (s *Server) registerCompute(ctx context.Context, in *RegisterComputeInput) (*ComputeOutput, error) {
	c, err := s.cfg.Fleets.RegisterCompute(ctx, fleet.RegisterComputeInput{
		FleetID:         *in.FleetId,
		Name:            *in.ComputeName,
		IPAddress:       deref(in.IpAddress),
		DNSName:         deref(in.DnsName),
		Location:        deref(in.Location),
		CertificatePath: deref(in.CertificatePath),
	})
	if err != nil {
		return nil, err
	}
	out := s.computeOut(c)
	return &ComputeOutput{Compute: &out}, nil
}

type ComputeRefInput struct {
	FleetId     *string `json:"FleetId,omitempty"`
	ComputeName *string `json:"ComputeName,omitempty"`
}

func (in *ComputeRefInput) validate(c *checker) {
	c.requiredStr("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	c.requiredStr("ComputeName", in.ComputeName, 0, 1024, patComputeNameOrARN)
}

func (s *Server) deregisterCompute(ctx context.Context, in *ComputeRefInput) (*struct{}, error) {
	return nil, s.cfg.Fleets.DeregisterCompute(ctx, *in.FleetId, *in.ComputeName)
}

func (s *Server) describeCompute(ctx context.Context, in *ComputeRefInput) (*ComputeOutput, error) {
	c, err := s.cfg.Fleets.Compute(ctx, *in.FleetId, *in.ComputeName)
	if err != nil {
		return nil, err
	}
	out := s.computeOut(c)
	return &ComputeOutput{Compute: &out}, nil
}

type ListComputeInput struct {
	FleetId                      *string `json:"FleetId,omitempty"`
	Location                     *string `json:"Location,omitempty"`
	ComputeStatus                string  `json:"ComputeStatus,omitempty"`
	ContainerGroupDefinitionName *string `json:"ContainerGroupDefinitionName,omitempty"`
	Limit                        *int32  `json:"Limit,omitempty"`
	NextToken                    *string `json:"NextToken,omitempty"`
}

func (in *ListComputeInput) validate(c *checker) {
	c.requiredStr("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	c.str("Location", in.Location, 1, 64, patLocation)
	c.enum("ComputeStatus", in.ComputeStatus, fleet.ComputeActive, fleet.ComputeImpaired)
	c.page(in.Limit, -1, in.NextToken)
}

type ListComputeOutput struct {
	ComputeList []Compute `json:"ComputeList"`
	NextToken   *string   `json:"NextToken,omitempty"`
}

func (s *Server) listCompute(ctx context.Context, in *ListComputeInput) (*ListComputeOutput, error) {
	if in.ContainerGroupDefinitionName != nil {
		return nil, invalidRequest("ContainerGroupDefinitionName applies to container fleets, which rallypoint does not run")
	}
	cs, err := s.cfg.Fleets.Computes(ctx, *in.FleetId, deref(in.Location), in.ComputeStatus)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(cs, func(c fleet.Compute) string { return c.Name }, in.Limit, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListComputeOutput{ComputeList: make([]Compute, 0, len(page)), NextToken: next}
	for _, c := range page {
		out.ComputeList = append(out.ComputeList, s.computeOut(c))
	}
	return out, nil
}

type GetComputeAuthTokenOutput struct {
	FleetId             *string    `json:"FleetId,omitempty"`
	FleetArn            *string    `json:"FleetArn,omitempty"`
	ComputeName         *string    `json:"ComputeName,omitempty"`
	ComputeArn          *string    `json:"ComputeArn,omitempty"`
	AuthToken           *string    `json:"AuthToken,omitempty"`
	ExpirationTimestamp *Timestamp `json:"ExpirationTimestamp,omitempty"`
}

func (s *Server) getComputeAuthToken(ctx context.Context, in *ComputeRefInput) (*GetComputeAuthTokenOutput, error) {
	t, err := s.cfg.Fleets.IssueComputeAuthToken(ctx, *in.FleetId, *in.ComputeName)
	if err != nil {
		return nil, err
	}
	return &GetComputeAuthTokenOutput{
		FleetId:             ptr(t.Compute.FleetID),
		FleetArn:            ptr(s.fleetARN(t.Compute.FleetID)),
		ComputeName:         ptr(t.Compute.Name),
		ComputeArn:          ptr(t.Compute.ARN),
		AuthToken:           ptr(t.Token),
		ExpirationTimestamp: NewTimestamp(t.Expires),
	}, nil
}

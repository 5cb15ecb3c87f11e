package identity

import (
	"strconv"
	"time"
)

// Wire shapes of the Cognito identity API (AWS JSON 1.1): member names as
// the SDKs send and read them. Conversion to the domain types is here.

type wirePool struct {
	IdentityPoolID                 string                        `json:"IdentityPoolId,omitempty"`
	IdentityPoolName               string                        `json:"IdentityPoolName"`
	AllowUnauthenticatedIdentities *bool                         `json:"AllowUnauthenticatedIdentities"`
	AllowClassicFlow               *bool                         `json:"AllowClassicFlow,omitempty"`
	SupportedLoginProviders        map[string]string             `json:"SupportedLoginProviders,omitempty"`
	DeveloperProviderName          string                        `json:"DeveloperProviderName,omitempty"`
	OpenIDConnectProviderARNs      []string                      `json:"OpenIdConnectProviderARNs,omitempty"`
	CognitoIdentityProviders       []wireCognitoIdentityProvider `json:"CognitoIdentityProviders,omitempty"`
	SAMLProviderARNs               []string                      `json:"SamlProviderARNs,omitempty"`
	IdentityPoolTags               map[string]string             `json:"IdentityPoolTags,omitempty"`
}

type wireCognitoIdentityProvider struct {
	ProviderName         string `json:"ProviderName,omitempty"`
	ClientID             string `json:"ClientId,omitempty"`
	ServerSideTokenCheck *bool  `json:"ServerSideTokenCheck,omitempty"`
}

func (w *wirePool) input() (PoolInput, *Error) {
	if w.AllowUnauthenticatedIdentities == nil {
		return PoolInput{}, invalidParameter("AllowUnauthenticatedIdentities is required.")
	}
	in := PoolInput{
		Name:                           w.IdentityPoolName,
		AllowUnauthenticatedIdentities: *w.AllowUnauthenticatedIdentities,
		AllowClassicFlow:               w.AllowClassicFlow != nil && *w.AllowClassicFlow,
		SupportedLoginProviders:        w.SupportedLoginProviders,
		DeveloperProviderName:          w.DeveloperProviderName,
		OpenIDConnectProviderARNs:      w.OpenIDConnectProviderARNs,
		SAMLProviderARNs:               w.SAMLProviderARNs,
		Tags:                           w.IdentityPoolTags,
	}
	for _, p := range w.CognitoIdentityProviders {
		in.CognitoIdentityProviders = append(in.CognitoIdentityProviders, CognitoIdentityProvider{
			ProviderName: p.ProviderName, ClientID: p.ClientID,
			ServerSideTokenCheck: p.ServerSideTokenCheck != nil && *p.ServerSideTokenCheck,
		})
	}
	return in, nil
}

func toWirePool(p Pool) wirePool {
	allowUnauth, classic := p.AllowUnauthenticatedIdentities, p.AllowClassicFlow
	return wirePool{
		IdentityPoolID:                 p.ID,
		IdentityPoolName:               p.Name,
		AllowUnauthenticatedIdentities: &allowUnauth,
		AllowClassicFlow:               &classic,
		SupportedLoginProviders:        p.SupportedLoginProviders,
		DeveloperProviderName:          p.DeveloperProviderName,
		IdentityPoolTags:               p.Tags,
	}
}

type wirePoolID struct {
	IdentityPoolID string `json:"IdentityPoolId"`
}

type wireListPoolsInput struct {
	MaxResults *int32 `json:"MaxResults"`
	NextToken  string `json:"NextToken,omitempty"`
}

type wirePoolSummary struct {
	IdentityPoolID   string `json:"IdentityPoolId"`
	IdentityPoolName string `json:"IdentityPoolName"`
}

type wireListPoolsOutput struct {
	IdentityPools []wirePoolSummary `json:"IdentityPools"`
	NextToken     string            `json:"NextToken,omitempty"`
}

type wireGetIDInput struct {
	AccountID      string            `json:"AccountId,omitempty"`
	IdentityPoolID string            `json:"IdentityPoolId"`
	Logins         map[string]string `json:"Logins,omitempty"`
}

type wireIdentityID struct {
	IdentityID string `json:"IdentityId"`
}

type wireIdentityLoginsInput struct {
	IdentityID    string            `json:"IdentityId"`
	Logins        map[string]string `json:"Logins,omitempty"`
	CustomRoleArn string            `json:"CustomRoleArn,omitempty"`
}

type wireTokenOutput struct {
	IdentityID string `json:"IdentityId"`
	Token      string `json:"Token"`
}

type wireCredentials struct {
	AccessKeyID  string    `json:"AccessKeyId"`
	SecretKey    string    `json:"SecretKey"`
	SessionToken string    `json:"SessionToken"`
	Expiration   epochTime `json:"Expiration"`
}

type wireCredentialsOutput struct {
	IdentityID  string          `json:"IdentityId"`
	Credentials wireCredentials `json:"Credentials"`
}

type wireDeveloperTokenInput struct {
	IdentityPoolID string            `json:"IdentityPoolId"`
	IdentityID     string            `json:"IdentityId,omitempty"`
	Logins         map[string]string `json:"Logins"`
	PrincipalTags  map[string]string `json:"PrincipalTags,omitempty"`
	TokenDuration  *int64            `json:"TokenDuration,omitempty"`
}

type wireLookupInput struct {
	IdentityPoolID          string `json:"IdentityPoolId"`
	IdentityID              string `json:"IdentityId,omitempty"`
	DeveloperUserIdentifier string `json:"DeveloperUserIdentifier,omitempty"`
	MaxResults              *int32 `json:"MaxResults,omitempty"`
	NextToken               string `json:"NextToken,omitempty"`
}

type wireLookupOutput struct {
	IdentityID                  string   `json:"IdentityId,omitempty"`
	DeveloperUserIdentifierList []string `json:"DeveloperUserIdentifierList"`
	NextToken                   string   `json:"NextToken,omitempty"`
}

// epochTime is a timestamp as AWS JSON 1.1 sends it: epoch seconds, a JSON
// number.
type epochTime time.Time

func (t epochTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(t).UnixMilli())/1000, 'f', -1, 64), nil
}

// errorBody is the wire shape of an error. The message goes out twice:
// clients read the protocol-level "message", and the SDKs fill a modeled
// error's Message member from "message" or "Message".
type errorBody struct {
	Type          string `json:"__type"`
	Message       string `json:"message"`
	MemberMessage string `json:"Message"`
}

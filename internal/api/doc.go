// Package api is rallypoint's GameLift-compatible control plane: the HTTP
// edge that studio backends, the AWS SDKs and the aws CLI talk to.
//
// One table of operations is served over both wire protocols GameLift
// clients use: Smithy RPC v2 CBOR (POST /service/GameLift/operation/<Op>,
// what the AWS SDK for Go v2 sends) and AWS JSON 1.1 (POST / with
// X-Amz-Target: GameLift.<Op>, what the aws CLI and boto3 send). Every call
// is SigV4-verified. The package owns the wire types (GameLift's member
// names), input validation with GameLift's limits, the mapping of domain
// errors to GameLift error codes, and pagination; the domain packages
// (fleet, and later placement and matchmaking) own the decisions and state.
package api

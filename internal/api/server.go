package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/placement"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// SigningName is the SigV4 service name GameLift clients sign with.
const SigningName = "gamelift"

// DefaultMaxBodyBytes bounds a request body. GameLift's largest inputs
// (GameSessionData, rule-set bodies) are far below it.
const DefaultMaxBodyBytes = 1 << 20

// Config wires the control plane to its credentials and domain services.
type Config struct {
	// Credentials looks up an access key; required unless Insecure.
	Credentials func(accessKeyID string) (sigv4.Credentials, bool)
	// Insecure accepts unsigned calls (and signed ones with unknown keys
	// are still refused). For local development only.
	Insecure bool
	// Fleets serves locations, fleets, computes and aliases.
	Fleets *fleet.Service
	// Placements serves game session queues and placements.
	Placements *placement.Service
	// Targets stores notification targets (a rallypoint extension); nil
	// leaves their operations out.
	Targets *events.Targets
	// Matchmaking serves rule sets, matchmaking configurations and
	// tickets; nil leaves their operations out.
	Matchmaking *matchmaking.Service
	// MaxBodyBytes bounds request bodies; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Metrics records per-operation counts and latencies; nil records
	// nothing.
	Metrics *Metrics
	Logger  *slog.Logger
	// Now is the clock for signature checks; nil means time.Now.
	Now func() time.Time
}

// Server is the control-plane HTTP handler. Mount it at "/" of the admin
// listener: it answers POST / (AWS JSON 1.1) and
// POST /service/GameLift/operation/<Operation> (RPC v2 CBOR).
type Server struct {
	cfg      Config
	log      *slog.Logger
	verifier *sigv4.Verifier
	ops      map[string]operation
}

// New builds the control plane.
func New(cfg Config) (*Server, error) {
	if cfg.Fleets == nil || cfg.Placements == nil {
		return nil, errors.New("api: Config.Fleets and Config.Placements are required")
	}
	if cfg.Credentials == nil && !cfg.Insecure {
		return nil, errors.New("api: Config.Credentials is required unless Insecure is set")
	}
	if cfg.Credentials == nil {
		cfg.Credentials = func(string) (sigv4.Credentials, bool) { return sigv4.Credentials{}, false }
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg: cfg,
		log: cfg.Logger.With("component", "api"),
		verifier: &sigv4.Verifier{
			Service: SigningName,
			Lookup:  cfg.Credentials,
			Now:     cfg.Now,
		},
	}
	s.ops = s.operations()
	if cfg.Targets == nil {
		dropNotificationTargetOps(s.ops)
	}
	if cfg.Matchmaking == nil {
		dropMatchmakingOps(s.ops)
	}
	return s, nil
}

// Operations lists the names of the operations this server answers.
func (s *Server) Operations() []string {
	names := make([]string, 0, len(s.ops))
	for n := range s.ops {
		names = append(names, n)
	}
	return names
}

const cborPathPrefix = "/service/GameLift/operation/"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)

	var (
		c      codec
		opName string
	)
	switch {
	case strings.HasPrefix(r.URL.Path, cborPathPrefix):
		c = cborCodec{}
		w.Header().Set("smithy-protocol", "rpc-v2-cbor")
		opName = strings.TrimPrefix(r.URL.Path, cborPathPrefix)
	case r.URL.Path == "/" || r.URL.Path == "":
		c = jsonCodec{}
		target := r.Header.Get("X-Amz-Target")
		service, op, ok := strings.Cut(target, ".")
		if !ok || service != "GameLift" {
			opName = ""
		} else {
			opName = op
		}
	default:
		http.NotFound(w, r)
		return
	}

	status, errType := s.serve(w, r, c, opName)
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.observe(opName, s.ops, errType, time.Since(start))
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "control-plane call",
		"operation", opName, "protocol", c.name(), "status", status, "error", errType,
		"request_id", requestID, "duration", time.Since(start))
}

// serve handles one call and reports the status and error type written.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c codec, opName string) (int, string) {
	if r.Method != http.MethodPost {
		return s.writeError(w, c, &Error{Status: http.StatusMethodNotAllowed, Type: CodeMethodNotAllowed, Message: "control-plane calls are POST requests"})
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return s.writeError(w, c, &Error{Status: http.StatusRequestEntityTooLarge, Type: CodeRequestEntityTooLarge,
				Message: "request body exceeds " + strconv.FormatInt(s.cfg.MaxBodyBytes, 10) + " bytes"})
		}
		return s.writeError(w, c, invalidRequest("reading the request body: %v", err))
	}

	ctx := r.Context()
	if err := s.authenticate(r, body); err != nil {
		return s.writeError(w, c, err)
	}

	op, ok := s.ops[opName]
	if !ok {
		if opName == "" {
			msg := "missing or malformed X-Amz-Target header; expected GameLift.<Operation>"
			if _, ok := c.(cborCodec); ok {
				msg = "missing operation name; expected POST " + cborPathPrefix + "<Operation>"
			}
			return s.writeError(w, c, &Error{Status: http.StatusBadRequest, Type: CodeUnknownOperation, Message: msg})
		}
		return s.writeError(w, c, &Error{Status: http.StatusBadRequest, Type: CodeUnknownOperation, Message: "unknown operation " + strconv.Quote(opName)})
	}

	out, err := op.call(ctx, c, body)
	if err != nil {
		return s.writeError(w, c, err)
	}
	payload, err := c.encode(out)
	if err != nil {
		return s.writeError(w, c, err)
	}
	w.Header().Set("Content-Type", c.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
	return http.StatusOK, ""
}

func (s *Server) authenticate(r *http.Request, body []byte) error {
	signed := r.Header.Get("Authorization") != "" || r.URL.Query().Get("X-Amz-Signature") != ""
	if s.cfg.Insecure && !signed {
		return nil
	}
	_, err := s.verifier.Verify(r, body)
	return err
}

func (s *Server) writeError(w http.ResponseWriter, c codec, err error) (int, string) {
	e, internal := toError(err)
	if internal {
		s.log.Error("control-plane call failed", "error", err)
	}
	payload, encErr := c.encode(errorBody{Type: e.Type, Message: e.Message, MemberMessage: e.Message})
	if encErr != nil {
		payload = nil
	}
	w.Header().Set("Content-Type", c.contentType())
	w.Header().Set("x-amzn-ErrorType", e.Type)
	w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(payload)
	return e.Status, e.Type
}

// operation is one row of the operation table: how to decode its input,
// check it, and run it.
type operation struct {
	call func(ctx context.Context, c codec, body []byte) (any, error)
}

// op makes an operation from a typed handler. The input is decoded with the
// request's codec and validated before the handler runs; a nil output is
// sent as an empty structure.
func op[In, Out any](h func(context.Context, *In) (*Out, error)) operation {
	return operation{call: func(ctx context.Context, c codec, body []byte) (any, error) {
		in := new(In)
		if err := c.decode(body, in); err != nil {
			return nil, invalidRequest("%v", err)
		}
		if v, ok := any(in).(validator); ok {
			var chk checker
			v.validate(&chk)
			if err := chk.err(); err != nil {
				return nil, err
			}
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}}
}

package main

// The arena end to end: rallypoint serve and two arena servers run as real
// processes, the official AWS SDK creates game and player sessions, and a
// UDP client joins as a game client would.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/sdk/beacon"
)

const (
	keyID  = "RPAKARENATEST0000001"
	secret = "arena-test-secret-arena-test-secret-00"
)

// build compiles a package of this module into dir.
func build(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// proc is a child process whose output is collected and scanned.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  strings.Builder
	done chan error
}

func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan error, 1)}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() { err := p.cmd.Wait(); pw.Close(); p.done <- err }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(bin), p.output())
		}
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// await waits for a line matching re and returns its submatches.
func (p *proc) await(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.output()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no line matching %s in:\n%s", re, p.output())
	return nil
}

// exit waits for the process to end and returns its exit error.
func (p *proc) exit(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("process did not exit; output:\n%s", p.output())
		return nil
	}
}

var (
	listening  = regexp.MustCompile(`rallypoint is listening: public http://(\S+)\s+admin \(control plane\) http://(\S+)`)
	udpLine    = regexp.MustCompile(`listening for players on udp (\S+)`)
	beaconLine = regexp.MustCompile(`ping beacon on udp (\S+)`)
)

// udpClient is a game client's UDP socket.
type udpClient struct {
	t    *testing.T
	conn *net.UDPConn
}

func dialUDP(t *testing.T, addr string) *udpClient {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpClient{t: t, conn: c}
}

// say sends a line and returns the first line back.
func (p *udpClient) say(line string) string {
	p.t.Helper()
	if _, err := p.conn.Write([]byte(line)); err != nil {
		p.t.Fatal(err)
	}
	return p.hear()
}

func (p *udpClient) hear() string {
	p.t.Helper()
	buf := make([]byte, 1500)
	_ = p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := p.conn.Read(buf)
	if err != nil {
		p.t.Fatalf("no answer: %v", err)
	}
	return strings.TrimSpace(string(buf[:n]))
}

// lab is rallypoint serve, run as a process, with a fleet in the custom
// location custom-lab and this machine registered as its compute lab-1.
type lab struct {
	gl       *gamelift.Client
	fleetID  string
	endpoint string
	token    string
	arenaBin string
}

// newLab builds and starts rallypoint (with extra serve flags) and sets the
// fleet and compute up.
func newLab(t *testing.T, serveArgs ...string) *lab {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	rallypoint := build(t, dir, "./cmd/rallypoint", "rallypoint")
	l := &lab{arenaBin: build(t, dir, "./examples/arena", "arena")}
	serve := startProc(t, rallypoint, append([]string{"serve", "--data-dir", filepath.Join(dir, "data"),
		"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--access-key", keyID + ":" + secret}, serveArgs...)...)
	admin := serve.await(t, listening)[2]
	l.gl = gamelift.New(gamelift.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("http://" + admin),
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		RetryMaxAttempts: 3,
	})
	if _, err := l.gl.CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String("custom-lab")}); err != nil {
		t.Fatal(err)
	}
	fl, err := l.gl.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("arena"), ComputeType: types.ComputeTypeAnywhere,
		Locations: []types.LocationConfiguration{{Location: aws.String("custom-lab")}}})
	if err != nil {
		t.Fatal(err)
	}
	l.fleetID = aws.ToString(fl.FleetAttributes.FleetId)
	compute, err := l.gl.RegisterCompute(ctx, &gamelift.RegisterComputeInput{FleetId: &l.fleetID, ComputeName: aws.String("lab-1"),
		IpAddress: aws.String("127.0.0.1"), Location: aws.String("custom-lab")})
	if err != nil {
		t.Fatal(err)
	}
	l.endpoint = aws.ToString(compute.Compute.GameLiftServiceSdkEndpoint)
	token, err := l.gl.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: &l.fleetID, ComputeName: aws.String("lab-1")})
	if err != nil {
		t.Fatal(err)
	}
	l.token = aws.ToString(token.AuthToken)
	return l
}

// arena starts an arena server on lab-1, waits until it is ready, and
// returns it with its UDP address.
func (l *lab) arena(t *testing.T, pid string, extra ...string) (*proc, string) {
	t.Helper()
	p := startProc(t, l.arenaBin, append([]string{"--endpoint", l.endpoint,
		"--fleet", l.fleetID, "--compute", "lab-1", "--token", l.token,
		"--process-id", pid, "--listen", "127.0.0.1:0", "--idle-timeout", "20s"}, extra...)...)
	addr := p.await(t, udpLine)[1]
	p.await(t, regexp.MustCompile(`ready on port`))
	return p, addr
}

func TestArenaEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs binaries")
	}
	ctx := context.Background()
	l := newLab(t, "--reservation-timeout", "3s")
	gl, fleetID := l.gl, l.fleetID
	startArena := func(pid string, extra ...string) (*proc, string) { return l.arena(t, pid, extra...) }
	arena1, addr1 := startArena("arena-1", "--ping-beacon", "127.0.0.1:0")

	// The first server is also its location's ping beacon. The probes'
	// timeout is long: on loopback one is lost only if its datagram is.
	prober := beacon.Prober{Timeout: 30 * time.Second}
	if res, err := prober.Probe(ctx, arena1.await(t, beaconLine)[1], 3); err != nil || res.Lost != 0 {
		t.Fatalf("probing arena 1's ping beacon: %+v, %v", res, err)
	}

	createSession := func(name string) *types.GameSession {
		out, err := gl.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: &fleetID, Location: aws.String("custom-lab"),
			MaximumPlayerSessionCount: aws.Int32(3), Name: aws.String(name)})
		if err != nil {
			t.Fatalf("CreateGameSession %s: %v", name, err)
		}
		gsID := out.GameSession.GameSessionId
		deadline := time.Now().Add(20 * time.Second)
		for {
			d, err := gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: gsID})
			if err != nil {
				t.Fatal(err)
			}
			if gs := d.GameSessions[0]; gs.Status == types.GameSessionStatusActive {
				return &gs
			}
			if time.Now().After(deadline) {
				t.Fatalf("game session %s never became ACTIVE", aws.ToString(gsID))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	gs1 := createSession("first")
	if _, err := gl.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: &fleetID, Location: aws.String("custom-lab"), MaximumPlayerSessionCount: aws.Int32(3)}); !isCode(err, "FleetCapacityExceededException") {
		t.Fatalf("a second game session on one busy process: err = %v, want FleetCapacityExceededException", err)
	}
	if fmt.Sprint(aws.ToInt32(gs1.Port)) != addr1[strings.LastIndex(addr1, ":")+1:] {
		t.Fatalf("game session port %d is not the arena's UDP port (%s)", aws.ToInt32(gs1.Port), addr1)
	}

	reserve := func(gs *types.GameSession, ids ...string) []types.PlayerSession {
		out, err := gl.CreatePlayerSessions(ctx, &gamelift.CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: ids})
		if err != nil {
			t.Fatal(err)
		}
		return out.PlayerSessions
	}
	status := func(ps types.PlayerSession) types.PlayerSessionStatus {
		d, err := gl.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{PlayerSessionId: ps.PlayerSessionId})
		if err != nil {
			t.Fatal(err)
		}
		return d.PlayerSessions[0].Status
	}
	ps := reserve(gs1, "alice", "bob", "carol")
	alice, bob, carol := ps[0], ps[1], ps[2]
	if _, err := gl.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs1.GameSessionId, PlayerId: aws.String("dave")}); !isCode(err, "GameSessionFullException") {
		t.Fatalf("a fourth player in a game session of three: err = %v, want GameSessionFullException", err)
	}

	// The second server hosts another game session, for a foreign id.
	arena2, _ := startArena("arena-2")
	gs2 := createSession("second")
	foreign := reserve(gs2, "eve")[0]

	a := dialUDP(t, addr1)
	if got := a.say("JOIN " + aws.ToString(alice.PlayerSessionId)); got != "ACCEPTED alice" {
		t.Fatalf("alice's JOIN: %q", got)
	}
	if s := status(alice); s != types.PlayerSessionStatusActive {
		t.Fatalf("alice's player session is %s after joining, want ACTIVE", s)
	}
	b := dialUDP(t, addr1)
	if got := b.say("JOIN " + aws.ToString(bob.PlayerSessionId)); got != "ACCEPTED bob" {
		t.Fatalf("bob's JOIN: %q", got)
	}
	if got := a.hear(); got != "JOINED bob" {
		t.Fatalf("alice heard %q, want JOINED bob", got)
	}
	if _, err := a.conn.Write([]byte("MSG hello bob")); err != nil {
		t.Fatal(err)
	}
	if got := b.hear(); got != "MSG alice hello bob" {
		t.Fatalf("bob heard %q", got)
	}

	refusals := []struct{ name, id string }{
		{"wrong", "psess-not-a-real-one"},
		{"foreign", aws.ToString(foreign.PlayerSessionId)},
		{"reused", aws.ToString(alice.PlayerSessionId)},
	}
	for _, r := range refusals {
		x := dialUDP(t, addr1)
		if got := x.say("JOIN " + r.id); !strings.HasPrefix(got, "REFUSED") {
			t.Errorf("%s player session id: got %q, want REFUSED", r.name, got)
		}
	}
	if s := status(foreign); s != types.PlayerSessionStatusReserved {
		t.Errorf("a refused foreign JOIN changed eve's player session to %s", s)
	}
	deadline := time.Now().Add(20 * time.Second)
	for status(carol) != types.PlayerSessionStatusTimedout {
		if time.Now().After(deadline) {
			t.Fatal("carol's reservation never timed out")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := dialUDP(t, addr1).say("JOIN " + aws.ToString(carol.PlayerSessionId)); !strings.HasPrefix(got, "REFUSED") {
		t.Errorf("expired player session id: got %q, want REFUSED", got)
	}

	// Everyone leaves: the game ends, and with it the process and the
	// game session.
	if got := a.say("LEAVE"); got != "BYE" {
		t.Fatalf("alice's LEAVE: %q", got)
	}
	if got := b.hear(); got != "LEFT alice" {
		t.Fatalf("bob heard %q, want LEFT alice", got)
	}
	if got := b.say("LEAVE"); got != "BYE" {
		t.Fatalf("bob's LEAVE: %q", got)
	}
	if err := arena1.exit(t); err != nil {
		t.Fatalf("arena 1 exited with %v", err)
	}
	d, err := gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: gs1.GameSessionId})
	if err != nil || d.GameSessions[0].Status != types.GameSessionStatusTerminated {
		t.Fatalf("game session after its process ended: %+v, %v", d, err)
	}
	if s := status(alice); s != types.PlayerSessionStatusCompleted {
		t.Errorf("alice's player session is %s after leaving, want COMPLETED", s)
	}

	// The service ends the second game session; its server is told, ends
	// its process and exits.
	if _, err := gl.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: gs2.GameSessionId, TerminationMode: types.TerminationModeTriggerOnProcessTerminate}); err != nil {
		t.Fatal(err)
	}
	if err := arena2.exit(t); err != nil {
		t.Fatalf("arena 2 exited with %v", err)
	}
	d, err = gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: gs2.GameSessionId})
	if err != nil || d.GameSessions[0].Status != types.GameSessionStatusTerminated || d.GameSessions[0].StatusReason != types.GameSessionStatusReasonTriggeredOnProcessTerminate {
		t.Fatalf("terminated game session: %+v, %v", d.GameSessions, err)
	}
	if !strings.Contains(arena2.output(), "the service asked this process to terminate") {
		t.Errorf("arena 2 did not report the termination request:\n%s", arena2.output())
	}
}

func isCode(err error, code string) bool {
	var apiErr interface{ ErrorCode() string }
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

// A game nobody comes to (their clients gave up while it was placed) ends
// once --join-timeout has passed, and frees its process.
func TestArenaEndsAGameNobodyJoins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs binaries")
	}
	ctx := context.Background()
	l := newLab(t)
	arena, _ := l.arena(t, "arena-alone", "--join-timeout", "1s")
	out, err := l.gl.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: &l.fleetID, Location: aws.String("custom-lab"),
		MaximumPlayerSessionCount: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	arena.await(t, regexp.MustCompile(`game session active`))
	arena.await(t, regexp.MustCompile(`game over: nobody joined within 1s`))
	if err := arena.exit(t); err != nil {
		t.Fatalf("arena exited with %v", err)
	}
	d, err := l.gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: out.GameSession.GameSessionId})
	if err != nil || d.GameSessions[0].Status != types.GameSessionStatusTerminated {
		t.Fatalf("the abandoned game session after its process ended: %+v, %v", d, err)
	}
}
